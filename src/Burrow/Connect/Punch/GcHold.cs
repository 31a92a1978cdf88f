using System.Runtime;

namespace Burrow.Connect.Punch;

/// <summary>
/// Keeps garbage collections out of a punch window. A collection suspends every managed thread, the punch
/// thread too, and under allocation pressure on a loaded machine a pause lasts milliseconds — longer than the
/// precision a punch needs. Shortly before an instant the punch thread opens a no-GC region with a budget
/// (allocations within it trigger no collection) and closes it after the last due punch. If the application
/// outruns the budget the runtime collects anyway and the region ends by itself; if the application holds a
/// region of its own, this does nothing. Process-wide, so it is held for tens of milliseconds at most.
/// </summary>
internal sealed class GcHold(long budgetBytes)
{
    private bool _held;

    public bool IsHeld => _held;

    /// <summary>Opens the region (this may collect once, now, to make room — which is why it is done early).</summary>
    public void Enter()
    {
        if (_held || GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            return;
        }
        try
        {
            // Never a full blocking collection to make room: on a large heap that pause (0.3 s for 0.5 GiB here) is
            // itself what the hold is meant to keep away from the instant. Without room the region starts after an
            // ephemeral collection, or not at all.
            _held = GC.TryStartNoGCRegion(budgetBytes, disallowFullBlockingGC: true);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException)
        {
            _held = false; // another region started meanwhile, or the budget is larger than this runtime allows
        }
    }

    public void Exit()
    {
        if (!_held)
        {
            return;
        }
        _held = false;
        if (GCSettings.LatencyMode != GCLatencyMode.NoGCRegion)
        {
            return; // the budget ran out and the runtime ended the region with a collection
        }
        try
        {
            GC.EndNoGCRegion();
        }
        catch (InvalidOperationException)
        {
            // Ended meanwhile (a collection was induced or the budget was exceeded): nothing to undo.
        }
    }
}
