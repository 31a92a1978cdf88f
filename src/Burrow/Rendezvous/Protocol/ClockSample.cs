namespace Burrow.Rendezvous.Protocol;

/// <summary>
/// One NTP-style exchange (RFC 5905 §8): t0 client sent, t1 server received, t2 server sent, t3 client
/// received. Pure arithmetic: the offset is what to add to the local clock to get the server's.
/// </summary>
public readonly record struct ClockSample(TimeSpan Offset, TimeSpan RoundTrip)
{
    public static ClockSample From(DateTimeOffset t0, DateTimeOffset t1, DateTimeOffset t2, DateTimeOffset t3)
    {
        var offset = ((t1 - t0) + (t2 - t3)) / 2;
        var roundTrip = (t3 - t0) - (t2 - t1);
        return new ClockSample(offset, roundTrip < TimeSpan.Zero ? TimeSpan.Zero : roundTrip);
    }

    /// <summary>The better of two samples: the one with the shorter round trip bounds the offset's error more tightly.</summary>
    public static ClockSample Best(ClockSample? current, ClockSample candidate) =>
        current is { } c && c.RoundTrip <= candidate.RoundTrip ? c : candidate;
}
