using Burrow.Identity;
using Burrow.Transport;

namespace Burrow.Connect.Reverse;

/// <summary>
/// Reverse attempts waiting for their peer to connect in. The node's listener asks here first: an inbound
/// connection authenticated as a node someone waits for goes to that attempt, not to AcceptAsync. An attempt
/// given up (another strategy won, or time ran out) stays a while as a tombstone, so that the peer's late
/// answer is closed — as a race closes any loser that connects anyway — instead of surfacing as an accept.
/// </summary>
internal sealed class ReverseWaiters
{
    private readonly Dictionary<NodeId, List<Waiter>> _waiting = [];
    private readonly Lock _lock = new();

    public Waiter Add(NodeId remote, ReadOnlyMemory<byte> nonce, long startedAt, DateTimeOffset now)
    {
        var waiter = new Waiter(this, remote, nonce, startedAt);
        lock (_lock)
        {
            foreach (var (id, list) in _waiting.ToList())
            {
                list.RemoveAll(w => w.AbandonedUntil < now);
                if (list.Count == 0)
                {
                    _waiting.Remove(id);
                }
            }
            if (!_waiting.TryGetValue(remote, out var waiting))
            {
                _waiting[remote] = waiting = [];
            }
            waiting.Add(waiter);
        }
        return waiter;
    }

    /// <summary>
    /// The oldest attempt (or tombstone) for <paramref name="remote"/>, removed; null if none. A tombstone's
    /// <see cref="Waiter.TryComplete(PeerConnection)"/> returns false: the caller closes the connection.
    /// </summary>
    public Waiter? TryClaim(NodeId remote, DateTimeOffset now)
    {
        lock (_lock)
        {
            if (!_waiting.TryGetValue(remote, out var list))
            {
                return null;
            }
            list.RemoveAll(w => w.AbandonedUntil < now);
            var first = list.Count > 0 ? list[0] : null;
            if (first is not null)
            {
                list.RemoveAt(0);
            }
            if (list.Count == 0)
            {
                _waiting.Remove(remote);
            }
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

    /// <summary>One waiting attempt; dispose it to stop waiting (unless it was abandoned: then it stays a tombstone).</summary>
    internal sealed class Waiter(ReverseWaiters owner, NodeId remote, ReadOnlyMemory<byte> nonce, long startedAt) : IDisposable
    {
        private readonly TaskCompletionSource<AttemptOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The nonce of the request this attempt sent.</summary>
        public ReadOnlyMemory<byte> Nonce { get; } = nonce;

        /// <summary>When the connect started (a <see cref="TimeProvider"/> timestamp).</summary>
        public long StartedAt { get; } = startedAt;

        /// <summary>Set when the attempt was given up while the peer may still answer: until then its answer is closed.</summary>
        public DateTimeOffset? AbandonedUntil { get; private set; }

        public Task<AttemptOutcome> Outcome => _outcome.Task;

        public bool TryComplete(AttemptOutcome outcome) => _outcome.TrySetResult(outcome);

        public bool TryComplete(PeerConnection connection) => TryComplete(AttemptOutcome.Connected(connection));

        /// <summary>Gives the attempt up; a connection from the peer until <paramref name="until"/> is then refused.</summary>
        public void Abandon(DateTimeOffset until)
        {
            AbandonedUntil = until;
            TryComplete(AttemptOutcome.Failed("given up"));
        }

        public void Dispose()
        {
            if (AbandonedUntil is null)
            {
                owner.Remove(remote, this);
            }
        }
    }
}
