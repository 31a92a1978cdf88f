namespace Burrow.Cli.Transfer;

/// <summary>
/// The file is more than the relay carries — more bytes than its byte limit, or more time than its duration limit —
/// and no direct connection came to finish it on: the sender stopped before the relay's limit would have cut the
/// transfer (and the receiver saw the transfer stop there).
/// </summary>
internal sealed class RelayLimitException : IOException
{
    private RelayLimitException(string limit, long fileSize, string why, Exception? inner)
        : base($"{limit}; {why}.", inner) => FileSize = fileSize;

    /// <summary>The size of the file being sent.</summary>
    public long FileSize { get; }

    /// <summary>The file is larger than the relay's byte limit in each direction, <paramref name="maxBytes"/>.</summary>
    public static RelayLimitException Bytes(long maxBytes, long fileSize, string why, Exception? inner = null) =>
        new($"The relay carries at most {maxBytes} bytes each way; the file needs {fileSize}", fileSize, why, inner);

    /// <summary>The file did not all go through the relay within its session's duration limit, <paramref name="maxDuration"/>.</summary>
    public static RelayLimitException Duration(TimeSpan maxDuration, long fileSize, string why, Exception? inner = null) =>
        new($"The relay ends its session after {maxDuration.TotalSeconds:0.###} s; the file's {fileSize} bytes did not all go through it by then", fileSize, why, inner);
}
