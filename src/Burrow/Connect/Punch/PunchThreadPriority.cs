using System.Runtime.InteropServices;

namespace Burrow.Connect.Punch;

/// <summary>How much the punch thread's priority could be raised.</summary>
public enum PunchPriority
{
    /// <summary>Only <see cref="ThreadPriority.Highest"/>, which the runtime ignores on Linux.</summary>
    Normal,

    /// <summary>A lower nice value for the thread (Linux <c>setpriority</c>).</summary>
    Nice,

    /// <summary>Real-time <c>SCHED_FIFO</c>: runs ahead of every ordinary thread on the machine.</summary>
    Realtime,
}

/// <summary>
/// Raises the calling thread's scheduling priority for real. <see cref="Thread.Priority"/> is a no-op for
/// CoreCLR on Linux, so on Linux this asks the kernel: <c>SCHED_FIFO</c> (needs CAP_SYS_NICE, e.g. root) and,
/// failing that, a negative nice value; without privileges the thread stays as it is and says so.
/// </summary>
internal static partial class PunchThreadPriority
{
    private const int SchedFifo = 1;
    private const int PrioProcess = 0;

    /// <summary>Low enough that kernel threads and audio/RT services keep precedence (they use 50+).</summary>
    private const int FifoPriority = 10;

    private const int NiceValue = -10;

    public static PunchPriority RaiseCurrentThread()
    {
        Thread.CurrentThread.Priority = ThreadPriority.Highest;
        if (!OperatingSystem.IsLinux())
        {
            return PunchPriority.Normal;
        }
        try
        {
            var tid = GetTid();
            var param = FifoPriority;
            if (SchedSetScheduler(tid, SchedFifo, ref param) == 0)
            {
                return PunchPriority.Realtime;
            }
            return SetPriority(PrioProcess, tid, NiceValue) == 0 ? PunchPriority.Nice : PunchPriority.Normal;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return PunchPriority.Normal;
        }
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "sched_setscheduler")]
    private static partial int SchedSetScheduler(int pid, int policy, ref int param);

    [LibraryImport("libc", EntryPoint = "setpriority")]
    private static partial int SetPriority(int which, int who, int priority);
}
