namespace Burrow.Cli.Transfer;

/// <summary>
/// The file is more than the relay carries, and no direct connection came to finish it on: the sender stopped
/// before the relay's byte limit would have cut the transfer (and the receiver saw the transfer stop there).
/// </summary>
internal sealed class RelayLimitException(long maxBytes, long fileSize, string why, Exception? inner = null)
    : IOException($"The relay carries at most {maxBytes} bytes each way; the file needs {fileSize}; {why}.", inner)
{
    /// <summary>The relay's limit in each direction.</summary>
    public long MaxBytes { get; } = maxBytes;

    /// <summary>The size of the file being sent.</summary>
    public long FileSize { get; } = fileSize;
}
