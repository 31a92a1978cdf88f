namespace Burrow.Probing.Stun;

/// <summary>
/// RFC 8489 §6.2.1 retransmission over UDP: send at 0, RTO, 3·RTO, 7·RTO, … (the interval doubling), at most
/// <see cref="MaxTransmissions"/> times (Rc), then wait <see cref="FinalWaitFactor"/>·RTO (Rm) after the last
/// send before giving up. A caller's deadline cuts the schedule short.
/// </summary>
public sealed record StunRetransmission
{
    public static readonly StunRetransmission Default = new();

    /// <summary>RTO: the first retransmission interval (RFC default 500 ms; a measured RTT allows less).</summary>
    public TimeSpan InitialRto { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Rc (RFC default 7).</summary>
    public int MaxTransmissions { get; init; } = 7;

    /// <summary>Rm (RFC default 16).</summary>
    public int FinalWaitFactor { get; init; } = 16;

    /// <summary>When each transmission is sent, from the first.</summary>
    public IEnumerable<TimeSpan> SendTimes()
    {
        var at = TimeSpan.Zero;
        var interval = InitialRto;
        for (var i = 0; i < MaxTransmissions; i++)
        {
            yield return at;
            at += interval;
            interval *= 2;
        }
    }

    /// <summary>When the transaction has failed, from the first transmission.</summary>
    public TimeSpan GiveUpAfter => SendTimes().Last() + InitialRto * FinalWaitFactor;
}
