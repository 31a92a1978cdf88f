namespace Burrow.Identity;

/// <summary>
/// Keeps a node identity in a PEM file readable by its owner only. A missing file is created; a corrupt or
/// unreadable one is an <see cref="IdentityException"/>, never silently replaced.
/// </summary>
public static class IdentityStore
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = OwnerOnlyFile | UnixFileMode.UserExecute;

    /// <summary>The default identity file: <c>$XDG_CONFIG_HOME/burrow/identity.pem</c> (or the OS equivalent).</summary>
    public static string DefaultPath =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify), "burrow", "identity.pem");

    /// <summary>Loads the identity at <paramref name="path"/>, creating it if the file does not exist.</summary>
    public static async Task<(NodeIdentity Identity, bool Created)> LoadOrCreateAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            return (await LoadAsync(full, cancellationToken).ConfigureAwait(false), false);
        }
        var identity = NodeIdentity.Create();
        try
        {
            await WriteNewAsync(full, identity.ExportPem(), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException) when (File.Exists(full))
        {
            // Another process created it first: use theirs.
            identity.Dispose();
            return (await LoadAsync(full, cancellationToken).ConfigureAwait(false), false);
        }
        catch
        {
            identity.Dispose();
            throw;
        }
        return (identity, true);
    }

    public static async Task<NodeIdentity> LoadAsync(string path, CancellationToken cancellationToken)
    {
        string pem;
        try
        {
            var info = new FileInfo(path);
            if (info.Length > 16 * 1024)
            {
                throw new IdentityException("identity_corrupt", $"The identity file '{path}' is {info.Length} bytes: far too large for a key.");
            }
            pem = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IdentityException("identity_unreadable", $"The identity file '{path}' cannot be read: {e.Message}", e);
        }
        try
        {
            return NodeIdentity.FromPem(pem);
        }
        catch (IdentityException e)
        {
            throw new IdentityException("identity_corrupt", $"The identity file '{path}' is corrupt ({e.Message}). Move it away to create a new identity.", e);
        }
    }

    private static async Task WriteNewAsync(string path, string pem, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(path)!;
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            if (!Directory.Exists(directory))
            {
                if (OperatingSystem.IsWindows())
                {
                    Directory.CreateDirectory(directory);
                }
                else
                {
                    Directory.CreateDirectory(directory, OwnerOnlyDirectory);
                }
            }
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnlyFile;
            }
            await using (var stream = new FileStream(temporary, options))
            await using (var writer = new StreamWriter(stream))
            {
                await writer.WriteAsync(pem.AsMemory(), cancellationToken).ConfigureAwait(false);
            }
            // Written whole, then renamed into place: a crash never leaves half a key, and an identity that
            // appeared meanwhile is never overwritten (the move fails and the caller loads that one).
            File.Move(temporary, path, overwrite: false);
        }
        catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && !File.Exists(path))
        {
            throw new IdentityException("identity_unwritable", $"Cannot create the identity file '{path}': {e.Message}", e);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }
}
