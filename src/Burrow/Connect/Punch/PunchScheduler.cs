using System.Diagnostics;

namespace Burrow.Connect.Punch;

/// <summary>
/// Runs time-critical actions (the <c>connect()</c> calls of a hole punch) at an exact instant, on one
/// dedicated thread at raised priority — never on the thread pool, which a busy application can starve.
/// The thread sleeps until shortly before the instant (coarse, on an event, so new work wakes it), then
/// spins the last stretch. Instants are <see cref="Stopwatch"/> timestamps (<see cref="TimeProvider.GetTimestamp"/>
/// of the system clock). Actions must not block: start non-blocking work (e.g. a socket connect) and return.
/// </summary>
public sealed class PunchScheduler : IDisposable
{
    /// <summary>How long before the instant the thread stops sleeping and starts spinning.</summary>
    public static readonly TimeSpan DefaultSpinMargin = TimeSpan.FromMilliseconds(2);

    private readonly PriorityQueue<PunchJob, long> _jobs = new();
    private readonly Lock _lock = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _thread;
    private readonly long _spinMarginTicks;
    private bool _stopping;

    public PunchScheduler(TimeSpan? spinMargin = null)
    {
        _spinMarginTicks = (long)((spinMargin ?? DefaultSpinMargin).TotalSeconds * Stopwatch.Frequency);
        _thread = new Thread(Run) { IsBackground = true, Name = "burrow punch", Priority = ThreadPriority.Highest };
        _thread.Start();
    }

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
        while (true)
        {
            PunchJob? due = null;
            long wait;
            lock (_lock)
            {
                if (_stopping)
                {
                    break;
                }
                while (_jobs.TryPeek(out var head, out _) && head.Completion.Task.IsCompleted)
                {
                    _jobs.Dequeue().Registration.Dispose(); // cancelled while waiting
                }
                if (!_jobs.TryPeek(out var next, out var instant))
                {
                    wait = Timeout.Infinite;
                }
                else
                {
                    var untilSpin = instant - _spinMarginTicks - Stopwatch.GetTimestamp();
                    if (untilSpin <= 0)
                    {
                        due = _jobs.Dequeue();
                        wait = 0;
                    }
                    else
                    {
                        wait = (int)Math.Min(int.MaxValue, Math.Max(1, untilSpin * 1000 / Stopwatch.Frequency));
                    }
                }
            }
            if (due is null)
            {
                _wake.WaitOne(wait == Timeout.Infinite ? Timeout.Infinite : (int)wait); // woken early by new work
                continue;
            }
            while (Stopwatch.GetTimestamp() < due.Instant)
            {
                Thread.SpinWait(20);
            }
            due.Registration.Dispose();
            if (due.Completion.Task.IsCompleted)
            {
                continue; // cancelled during the spin
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
        lock (_lock)
        {
            while (_jobs.TryDequeue(out var left, out _))
            {
                left.Registration.Dispose();
                left.Completion.TrySetException(new ObjectDisposedException(nameof(PunchScheduler)));
            }
        }
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
