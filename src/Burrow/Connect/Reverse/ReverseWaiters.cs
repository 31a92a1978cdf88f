using Burrow.Identity;
using Burrow.Transport;

namespace Burrow.Connect.Reverse;

/// <summary>
/// Reverse attempts waiting for their peer to connect in. The node's listener asks here first: an inbound
/// connection authenticated as a node someone waits for goes to that attempt, not to AcceptAsync.
/// </summary>
internal sealed class ReverseWaiters
{
    private readonly Dictionary<NodeId, List<Waiter>> _waiting = [];
    private readonly Lock _lock = new();

    public Waiter Add(NodeId remote, long startedAt)
    {
        var waiter = new Waiter(this, remote, startedAt);
        lock (_lock)
        {
            if (!_waiting.TryGetValue(remote, out var list))
            {
                _waiting[remote] = list = [];
            }
            list.Add(waiter);
        }
        return waiter;
    }

    /// <summary>The oldest attempt waiting for <paramref name="remote"/>, now no longer waiting; null if none.</summary>
    public Waiter? TryClaim(NodeId remote)
    {
        lock (_lock)
        {
            if (!_waiting.TryGetValue(remote, out var list))
            {
                return null;
            }
            var first = list[0];
            Remove(remote, first);
            return first;
        }
    }

    private void Remove(NodeId remote, Waiter waiter)
    {
        lock (_lock)
        {
            if (_waiting.TryGetValue(remote, out var list) && list.Remove(waiter) && list.Count == 0)
            {
                _waiting.Remove(remote);
            }
        }
    }

    /// <summary>One waiting attempt; dispose it to stop waiting.</summary>
    internal sealed class Waiter(ReverseWaiters owner, NodeId remote, long startedAt) : IDisposable
    {
        private readonly TaskCompletionSource<AttemptOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>When the connect started (a <see cref="TimeProvider"/> timestamp).</summary>
        public long StartedAt { get; } = startedAt;

        public Task<AttemptOutcome> Outcome => _outcome.Task;

        public bool TryComplete(AttemptOutcome outcome) => _outcome.TrySetResult(outcome);

        public bool TryComplete(PeerConnection connection) => TryComplete(AttemptOutcome.Connected(connection));

        public void Dispose() => owner.Remove(remote, this);
    }
}
