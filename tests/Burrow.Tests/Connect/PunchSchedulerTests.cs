using System.Diagnostics;
using Burrow.Connect.Punch;

namespace Burrow.Tests.Connect;

/// <summary>What the punch scheduler promises (its timing is measured by the benchmark, not asserted here).</summary>
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
}
