namespace Burrow.Connect.Punch;

/// <summary>When a punch fires and for how long it keeps trying.</summary>
/// <param name="Instant">The first attempt, as a <see cref="System.Diagnostics.Stopwatch"/> timestamp both sides agreed on.</param>
/// <param name="Window">How long after the instant attempts go on (an early SYN meets an idle port and is reset, so attempts repeat).</param>
/// <param name="RetryInterval">The spacing of attempts within the window.</param>
public sealed record PunchTiming(long Instant, TimeSpan Window, TimeSpan RetryInterval)
{
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan DefaultRetryInterval = TimeSpan.FromMilliseconds(25);
}
