using System.Diagnostics;

namespace Burrow.Connect.Punch;

/// <summary>
/// Runs time-critical actions (the <c>connect()</c> calls of a hole punch) at an exact instant, on one
/// dedicated thread at raised priority — never on the thread pool, which a busy application can starve.
/// The thread sleeps until shortly before the instant (coarse, on an event, so new work wakes it), then
/// waits out the last stretch precisely (<see cref="InstantWait"/>: an absolute-time sleep that a garbage
/// collection cannot stretch, or a spin). On Linux the thread runs at real-time priority where allowed. Instants are <see cref="Stopwatch"/> timestamps (<see cref="TimeProvider.GetTimestamp"/>
/// of the system clock). Actions must not block: start non-blocking work (e.g. a socket connect) and return.
/// </summary>
public sealed class PunchScheduler : IDisposable
{
    private readonly PriorityQueue<PunchJob, long> _jobs = new();
    private readonly Lock _lock = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _thread;
    private readonly long _spinMarginTicks;
    private readonly long _gcHoldLeadTicks;
    private readonly GcHold _gcHold;
    private readonly TaskCompletionSource<PunchPriority> _priority = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _stopping;

    public PunchScheduler(PunchSchedulerOptions? options = null)
    {
        options ??= new PunchSchedulerOptions();
        _spinMarginTicks = Ticks(options.SpinMargin);
        _gcHoldLeadTicks = Math.Max(_spinMarginTicks, Ticks(options.GcHoldLead));
        _gcHold = new GcHold(options.GcHoldBudgetBytes);
        if (options.GcHoldLead <= TimeSpan.Zero)
        {
            _gcHoldLeadTicks = 0;
        }
        _thread = new Thread(Run) { IsBackground = true, Name = "burrow punch", Priority = ThreadPriority.Highest };
        _thread.Start();
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    /// <summary>The scheduling priority the punch thread obtained (real-time needs CAP_SYS_NICE on Linux).</summary>
    public PunchPriority Priority => _priority.Task.GetAwaiter().GetResult();

    /// <summary>
    /// Runs <paramref name="action"/> at <paramref name="instant"/> (or at once if it has passed). The task
    /// completes with the timestamp at which the action actually started, or faults with what the action threw.
    /// </summary>
    public Task<long> ScheduleAt(long instant, Action action, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(action);
        var job = new PunchJob(instant, action);
        if (cancellationToken.CanBeCanceled)
        {
            // Cancelling completes the task at once; the thread drops the job when it reaches it.
            job.Registration = cancellationToken.Register(() => job.Completion.TrySetCanceled(cancellationToken));
        }
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            _jobs.Enqueue(job, instant);
        }
        _wake.Set();
        return job.Completion.Task;
    }

    private void Run()
    {
        _priority.SetResult(PunchThreadPriority.RaiseCurrentThread());
        while (NextStep() is var (due, wait) && !(due is null && wait == Stopping))
        {
            if (due is null)
            {
                _wake.WaitOne(wait); // woken early by new work
                continue;
            }
            InstantWait.Until(due.Instant);
            due.Registration.Dispose();
            if (due.Completion.Task.IsCompleted)
            {
                continue; // cancelled during the wait
            }
            var started = Stopwatch.GetTimestamp();
            try
            {
                due.Action();
                due.Completion.TrySetResult(started);
            }
            catch (Exception e)
            {
                due.Completion.TrySetException(e);
            }
        }
        _gcHold.Exit();
        lock (_lock)
        {
            while (_jobs.TryDequeue(out var left, out _))
            {
                left.Registration.Dispose();
                left.Completion.TrySetException(new ObjectDisposedException(nameof(PunchScheduler)));
            }
        }
    }

    private const int Stopping = -2;

    /// <summary>The job due now, or how many milliseconds to sleep; holds collections off when an instant is near.</summary>
    private (PunchJob? Due, int WaitMilliseconds) NextStep()
    {
        long untilInstant;
        lock (_lock)
        {
            if (_stopping)
            {
                return (null, Stopping);
            }
            while (_jobs.TryPeek(out var head, out _) && head.Completion.Task.IsCompleted)
            {
                _jobs.Dequeue().Registration.Dispose(); // cancelled while waiting
            }
            if (!_jobs.TryPeek(out _, out var instant))
            {
                untilInstant = long.MaxValue;
            }
            else
            {
                untilInstant = instant - Stopwatch.GetTimestamp();
                if (untilInstant <= _spinMarginTicks)
                {
                    return (_jobs.Dequeue(), 0);
                }
            }
        }
        // Outside the lock: opening a no-GC region may collect once, and ScheduleAt must not wait for that.
        var near = _gcHoldLeadTicks > 0 && untilInstant <= _gcHoldLeadTicks;
        if (near)
        {
            _gcHold.Enter();
        }
        else
        {
            _gcHold.Exit(); // nothing due soon: let the application collect
        }
        if (untilInstant == long.MaxValue)
        {
            return (null, Timeout.Infinite);
        }
        var wakeBefore = near || _gcHoldLeadTicks == 0 ? _spinMarginTicks : _gcHoldLeadTicks;
        return (null, (int)Math.Clamp((untilInstant - wakeBefore) * 1000 / Stopwatch.Frequency, 1, int.MaxValue));
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_stopping)
            {
                return;
            }
            _stopping = true;
        }
        _wake.Set();
        _thread.Join();
        _wake.Dispose();
    }

    private sealed record PunchJob(long Instant, Action Action)
    {
        public CancellationTokenRegistration Registration { get; set; }

        public TaskCompletionSource<long> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
