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

    public Waiter Add(NodeId remote, ReadOnlyMemory<byte> nonce, long startedAt)
    {
        var waiter = new Waiter(this, remote, nonce, startedAt);
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

    /// <summary>The peer says it could not carry out the request with that nonce: that attempt fails now.</summary>
    public void Fail(NodeId remote, ReverseFailure failure)
    {
        Waiter? waiter;
        lock (_lock)
        {
            waiter = _waiting.TryGetValue(remote, out var list) ? list.Find(w => w.Nonce.Span.SequenceEqual(failure.Nonce.Span)) : null;
        }
        waiter?.TryComplete(AttemptOutcome.Failed(failure.Describe()));
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
    internal sealed class Waiter(ReverseWaiters owner, NodeId remote, ReadOnlyMemory<byte> nonce, long startedAt) : IDisposable
    {
        /// <summary>The nonce of the request this attempt sent.</summary>
        public ReadOnlyMemory<byte> Nonce { get; } = nonce;

        private readonly TaskCompletionSource<AttemptOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>When the connect started (a <see cref="TimeProvider"/> timestamp).</summary>
        public long StartedAt { get; } = startedAt;

        public Task<AttemptOutcome> Outcome => _outcome.Task;

        public bool TryComplete(AttemptOutcome outcome) => _outcome.TrySetResult(outcome);

        public bool TryComplete(PeerConnection connection) => TryComplete(AttemptOutcome.Connected(connection));

        public void Dispose() => owner.Remove(remote, this);
    }
}
