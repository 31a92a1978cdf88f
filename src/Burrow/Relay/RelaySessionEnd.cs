namespace Burrow.Relay;

/// <summary>
/// When a relay ends a session at the latest: its <see cref="RelayLimits.MaxDuration"/> after the pairing, as the node
/// heard it (the relay's own count began up to half a round trip earlier). Kept on the node's monotonic clock, so
/// that a step of the wall clock does not move it.
/// </summary>
internal sealed class RelaySessionEnd
{
    private readonly TimeProvider _time;
    private readonly long _endsAt;

    private RelaySessionEnd(TimeProvider time, TimeSpan maxDuration)
    {
        _time = time;
        _endsAt = time.GetTimestamp() + (long)(maxDuration.TotalSeconds * time.TimestampFrequency);
        EndsBy = time.GetUtcNow() + maxDuration;
    }

    /// <summary>The session's end on the wall clock (for people; <see cref="Left"/> is what to count on).</summary>
    public DateTimeOffset EndsBy { get; }

    /// <summary>What is left of the session now (negative once past).</summary>
    public TimeSpan Left => _time.GetElapsedTime(_time.GetTimestamp(), _endsAt);

    /// <summary>The end of a session paired now; null when the relay sets no time limit.</summary>
    public static RelaySessionEnd? PairedNow(TimeProvider time, TimeSpan maxDuration) =>
        maxDuration == Timeout.InfiniteTimeSpan ? null : new RelaySessionEnd(time, maxDuration);
}
