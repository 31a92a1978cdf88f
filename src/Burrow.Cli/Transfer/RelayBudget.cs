namespace Burrow.Cli.Transfer;

/// <summary>
/// How much file data a sender may write on a relayed connection before the relay's byte limit
/// (<see cref="Burrow.Relay.RelayLimits.MaxBytes"/>, each direction counted apart) would end the session. The relay
/// counts the raw TLS bytes: the handshake, and on top of each record's data its header, content type and tag. The
/// estimate is conservative: <see cref="Margin"/> is kept back for what is not file data, and each write is charged
/// <see cref="RecordOverhead"/> for every record it can start (one per <see cref="RecordSize"/> bytes, rounded up).
/// </summary>
/// <param name="maxBytes">The relay's limit in each direction.</param>
internal sealed class RelayBudget(long maxBytes)
{
    /// <summary>
    /// Kept back from the relay's limit for what is not file data: the TLS handshake, the offer and checksum messages,
    /// the close_notify of the move.
    /// </summary>
    public const long Margin = 64 * 1024;

    /// <summary>The most data one TLS record carries.</summary>
    public const int RecordSize = 16 * 1024;

    /// <summary>The most a TLS 1.3 record adds to its data: a 5-byte header, the inner content type, a 16-byte AEAD tag.</summary>
    public const int RecordOverhead = 5 + 1 + 16;

    private long _wireLeft = Math.Max(0, maxBytes - Margin);

    /// <summary>The relay's limit in each direction.</summary>
    public long MaxBytes { get; } = maxBytes;

    /// <summary>The most file data the relay carries: <see cref="Of"/> of <see cref="MaxBytes"/>.</summary>
    public long Total => Of(MaxBytes);

    /// <summary>File bytes charged so far (all of them written on the relay).</summary>
    public long Written { get; private set; }

    /// <summary>The most file data a relay limited to <paramref name="maxBytes"/> each way carries, written in whole records.</summary>
    public static long Of(long maxBytes) => Within(maxBytes - Margin);

    /// <summary>The most wire bytes <paramref name="data"/> bytes written at once take: the data and the overhead of each record.</summary>
    public static long WireBytes(long data) => data + RecordOverhead * ((data + RecordSize - 1) / RecordSize);

    /// <summary>The most data one write may carry in <paramref name="wireBytes"/> on the wire (the inverse of <see cref="WireBytes"/>).</summary>
    public static long Within(long wireBytes)
    {
        if (wireBytes <= 0)
        {
            return 0;
        }
        var records = Math.DivRem(wireBytes, RecordSize + RecordOverhead, out var rest);
        return records * RecordSize + Math.Max(0, rest - RecordOverhead);
    }

    /// <summary>
    /// Charges a write of up to <paramref name="count"/> bytes: returns how many of them still fit (all, fewer at the
    /// budget's end, or 0 once it is spent); the caller writes exactly that many, in one write.
    /// </summary>
    public int Take(int count)
    {
        var fits = (int)Math.Min(count, Within(_wireLeft));
        _wireLeft -= WireBytes(fits);
        Written += fits;
        return fits;
    }
}
