namespace Burrow.Node;

/// <summary>
/// The work a node started and must wait for when it stops: inbound handshakes, answers to signals, upgrades of
/// relayed connections, the connect warm-up. Each is kept from start to end; stopping waits for those left.
/// </summary>
internal sealed class TrackedWork
{
    private readonly HashSet<Task> _running = [];

    /// <summary>Keeps <paramref name="work"/> until it ends; the task returned ends just after it.</summary>
    public Task Track(Task work)
    {
        lock (_running)
        {
            _running.Add(work);
        }
        return work.ContinueWith(
            done =>
            {
                lock (_running)
                {
                    _running.Remove(done);
                }
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Completes when everything tracked now has ended.</summary>
    public Task WhenAllAsync()
    {
        lock (_running)
        {
            return Task.WhenAll([.. _running]);
        }
    }
}
