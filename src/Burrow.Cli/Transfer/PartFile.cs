namespace Burrow.Cli.Transfer;

/// <summary>
/// Where a received file is written until it is verified: NAME.part beside NAME, always a new file (never an
/// existing one, nor what a link there points to). <see cref="Keep"/> flushes it to disk and renames it to
/// NAME; disposing it without that deletes it — it is this transfer's own.
/// </summary>
internal sealed class PartFile : IAsyncDisposable
{
    private readonly FileStream _stream;
    private readonly bool _overwrite;
    private bool _kept;

    private PartFile(string target, bool overwrite, FileStream stream)
    {
        Target = target;
        _overwrite = overwrite;
        _stream = stream;
    }

    /// <summary>Where the file goes once kept.</summary>
    public string Target { get; }

    public string PartPath => Target + ".part";

    /// <summary>The bytes go here.</summary>
    public Stream Stream => _stream;

    /// <summary>
    /// Creates NAME.part for <paramref name="target"/>, or throws an <see cref="IOException"/> when NAME is a
    /// folder, NAME exists and <paramref name="overwrite"/> is not set, or NAME.part exists (a link included).
    /// </summary>
    public static PartFile Create(string target, bool overwrite)
    {
        if (Directory.Exists(target))
        {
            throw new IOException($"{target} is a folder.");
        }
        if (File.Exists(target) && !overwrite)
        {
            throw new IOException($"{target} exists (use --overwrite to replace it).");
        }
        var part = target + ".part";
        try
        {
            return new PartFile(target, overwrite, new FileStream(part, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true));
        }
        catch (IOException e) when (File.Exists(part) || Directory.Exists(part) || new FileInfo(part).LinkTarget is not null)
        {
            throw new IOException($"{part} exists (another transfer's, or one that was interrupted): remove it to receive {Path.GetFileName(target)}.", e);
        }
    }

    /// <summary>Flushes the file to disk and renames it to its name; throws (and keeps nothing) if that fails.</summary>
    public void Keep()
    {
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
        File.Move(PartPath, Target, _overwrite);
        _kept = true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        if (!_kept)
        {
            File.Delete(PartPath); // nothing half-received or unverified is left behind
        }
    }
}
