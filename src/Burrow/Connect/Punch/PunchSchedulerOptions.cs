namespace Burrow.Connect.Punch;

/// <summary>How the punch scheduler waits for an instant.</summary>
public sealed record PunchSchedulerOptions
{
    /// <summary>How long before the instant the thread stops its coarse sleep and waits precisely.</summary>
    public TimeSpan SpinMargin { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// How long before an instant garbage collections are held off (a no-GC region), so that a collection
    /// cannot suspend the punch past its instant; <see cref="TimeSpan.Zero"/> turns this off.
    /// </summary>
    public TimeSpan GcHoldLead { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How much the process may allocate while collections are held before the runtime collects anyway.</summary>
    public long GcHoldBudgetBytes { get; init; } = 64L * 1024 * 1024;
}
