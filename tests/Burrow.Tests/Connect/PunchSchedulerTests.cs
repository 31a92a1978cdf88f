using System.Diagnostics;
using System.Runtime;
using Burrow.Connect.Punch;

namespace Burrow.Tests.Connect;

/// <summary>Punch schedulers hold process-wide garbage collection off; their tests run alone.</summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class PunchCollection;

/// <summary>What the punch scheduler promises (its timing is measured by the benchmark, not asserted here).</summary>
[Collection(typeof(PunchCollection))]
public class PunchSchedulerTests
{
    private static long In(TimeSpan span) => Stopwatch.GetTimestamp() + (long)(span.TotalSeconds * Stopwatch.Frequency);

    [Fact(Timeout = 30_000)]
    public async Task Actions_never_run_before_their_instant_and_run_in_instant_order_on_one_dedicated_thread()
    {
        var ct = TestContext.Current.CancellationToken;
        using var scheduler = new PunchScheduler();
        var order = new List<int>();
        var threads = new HashSet<int>();
        var instants = new[] { In(TimeSpan.FromMilliseconds(60)), In(TimeSpan.FromMilliseconds(20)), In(TimeSpan.FromMilliseconds(40)) };
        var runs = instants.Select((instant, i) => scheduler.ScheduleAt(instant, () =>
        {
            order.Add(i);
            threads.Add(Environment.CurrentManagedThreadId);
            Assert.False(Thread.CurrentThread.IsThreadPoolThread);
        }, ct)).ToArray();
        var started = await Task.WhenAll(runs);
        for (var i = 0; i < instants.Length; i++)
        {
            Assert.True(started[i] >= instants[i], $"job {i} started {started[i] - instants[i]} ticks early");
        }
        Assert.Equal([1, 2, 0], order);
        Assert.Single(threads);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_past_instant_runs_at_once_and_a_throwing_action_faults_only_its_task()
    {
        var ct = TestContext.Current.CancellationToken;
        using var scheduler = new PunchScheduler();
        await scheduler.ScheduleAt(Stopwatch.GetTimestamp() - Stopwatch.Frequency, () => { }, ct);
        await Assert.ThrowsAsync<InvalidOperationException>(() => scheduler.ScheduleAt(In(TimeSpan.FromMilliseconds(5)), () => throw new InvalidOperationException("boom"), ct));
        var ran = false;
        await scheduler.ScheduleAt(In(TimeSpan.FromMilliseconds(5)), () => ran = true, ct);
        Assert.True(ran); // the scheduler survived the fault
    }

    [Fact(Timeout = 30_000)]
    public async Task A_cancelled_job_does_not_run_and_disposing_fails_what_is_left()
    {
        var ct = TestContext.Current.CancellationToken;
        var scheduler = new PunchScheduler();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var ran = false;
        var cancelled = scheduler.ScheduleAt(In(TimeSpan.FromMilliseconds(300)), () => ran = true, cancel.Token);
        var later = scheduler.ScheduleAt(In(TimeSpan.FromMilliseconds(400)), () => { }, ct);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled); // at once, not at its instant
        await scheduler.ScheduleAt(In(TimeSpan.FromMilliseconds(350)), () => { }, ct); // runs past the first
        Assert.False(ran);
        var never = scheduler.ScheduleAt(In(TimeSpan.FromHours(1)), () => { }, ct);
        scheduler.Dispose();
        await Task.WhenAny(later); // due before the dispose, or failed by it: either way it completes
        Assert.True(later.IsCompletedSuccessfully || later.Exception?.InnerException is ObjectDisposedException);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => never);
        Assert.Throws<ObjectDisposedException>(() => { _ = scheduler.ScheduleAt(0, () => { }, ct); });
    }

    [Fact(Timeout = 30_000)]
    public async Task Collections_are_held_off_around_a_punch_and_allowed_again_after_it()
    {
        var ct = TestContext.Current.CancellationToken;
        using var scheduler = new PunchScheduler();
        var modeInAction = await RunAndObserveModeAsync(scheduler, ct);
        Assert.Equal(GCLatencyMode.NoGCRegion, modeInAction);
        // With nothing due the thread ends the region; the next job is far off.
        var far = scheduler.ScheduleAt(In(TimeSpan.FromSeconds(30)), () => { }, ct);
        await Eventually.HoldsAsync(() => GCSettings.LatencyMode != GCLatencyMode.NoGCRegion, ct);
        Assert.False(far.IsCompleted);

        using var noHold = new PunchScheduler(new PunchSchedulerOptions { GcHoldLead = TimeSpan.Zero });
        Assert.NotEqual(GCLatencyMode.NoGCRegion, await RunAndObserveModeAsync(noHold, ct));
    }

    private static async Task<GCLatencyMode> RunAndObserveModeAsync(PunchScheduler scheduler, CancellationToken ct)
    {
        var mode = GCLatencyMode.Batch;
        await scheduler.ScheduleAt(In(TimeSpan.FromMilliseconds(50)), () => mode = GCSettings.LatencyMode, ct);
        return mode;
    }
}
