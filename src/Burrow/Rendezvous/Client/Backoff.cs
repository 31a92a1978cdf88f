namespace Burrow.Rendezvous.Client;

/// <summary>Reconnect delays: exponential from a minimum to a maximum, with jitter so that nodes a restart dropped together do not return together (pure).</summary>
public static class Backoff
{
    /// <param name="failures">Consecutive failures so far (0 for the first retry).</param>
    /// <param name="jitter">A random number in [0, 1): the delay is scaled by 0.5 … 1.</param>
    public static TimeSpan Delay(int failures, TimeSpan min, TimeSpan max, double jitter)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(failures);
        var exponential = min.Ticks * Math.Pow(2, Math.Min(failures, 30));
        var capped = Math.Min(exponential, max.Ticks);
        return TimeSpan.FromTicks((long)(capped * (0.5 + (Math.Clamp(jitter, 0, 1) / 2))));
    }
}
