namespace Burrow.Cli.Transfer;

/// <summary>
/// How long a transfer waits for its peer. The whole transfer has no deadline (a large file takes long);
/// only waits in which nothing arrives do.
/// </summary>
internal sealed record TransferTimeouts
{
    /// <summary>The receiver: for the offer once connected, and for the checksum after the last byte.</summary>
    public TimeSpan Message { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The sender: for the verdict after its checksum, in which the receiver flushes the file to disk and renames it.</summary>
    public TimeSpan Verdict { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Either side: for one chunk of file data to be read and written on (a peer that stops reading or sending).</summary>
    public TimeSpan Stall { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The sender, once the relay carries no more of a file larger than its byte limit: for the direct connection to
    /// finish on. Shorter than <see cref="Stall"/> (the receiver, which gets nothing meanwhile, keeps waiting) and than
    /// a relay's usual idle limit.
    /// </summary>
    public TimeSpan Direct { get; init; } = TimeSpan.FromSeconds(30);
}
