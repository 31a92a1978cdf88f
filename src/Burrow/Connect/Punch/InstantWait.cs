using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Burrow.Connect.Punch;

/// <summary>
/// The last stretch before a punch instant. On Linux the thread sleeps to the exact instant in
/// <c>clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)</c> — the clock <see cref="Stopwatch"/> reads there —
/// without the usual GC transition, so a garbage collection that starts inside the window waits for the
/// instant (at most the spin margin, a couple of milliseconds) instead of suspending the punch past it.
/// Elsewhere it spins.
/// </summary>
internal static partial class InstantWait
{
    private const int ClockMonotonic = 1;
    private const int TimerAbstime = 1;
    private const long NanosecondsPerSecond = 1_000_000_000;

    private static readonly bool s_nativeSleep = OperatingSystem.IsLinux() && Stopwatch.Frequency == NanosecondsPerSecond && Probe();

    /// <summary>Returns at <paramref name="instant"/> (a <see cref="Stopwatch"/> timestamp), or at once if it has passed.</summary>
    public static void Until(long instant)
    {
        if (s_nativeSleep)
        {
            var time = new TimeSpec(instant / NanosecondsPerSecond, instant % NanosecondsPerSecond);
            // Non-zero is EINTR (a signal): sleep again to the same absolute instant.
            while (Stopwatch.GetTimestamp() < instant && ClockNanosleep(ClockMonotonic, TimerAbstime, ref time, IntPtr.Zero) != 0)
            {
            }
        }
        while (Stopwatch.GetTimestamp() < instant)
        {
            Thread.SpinWait(20);
        }
    }

    private static bool Probe()
    {
        try
        {
            var past = new TimeSpec(0, 0);
            return ClockNanosleep(ClockMonotonic, TimerAbstime, ref past, IntPtr.Zero) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec(long seconds, long nanoseconds)
    {
        public long Seconds = seconds;
        public long Nanoseconds = nanoseconds;
    }

    // Blocks for at most the spin margin; without the GC transition a collection cannot suspend the thread here.
    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    [SuppressGCTransition]
    private static partial int ClockNanosleep(int clock, int flags, ref TimeSpec request, IntPtr remain);
}
