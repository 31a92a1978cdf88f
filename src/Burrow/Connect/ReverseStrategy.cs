using System.Security.Cryptography;
using Burrow.Connect.Reverse;
using Burrow.Identity;
using Burrow.Rendezvous.Client;
using Burrow.Rendezvous.Protocol;

namespace Burrow.Connect;

/// <summary>
/// Reverse connect — this node is reachable, the peer is not: through a rendezvous both use, ask the peer to
/// connect to this node. The request is signed and carries this node's signed address; the peer dials only
/// that address's endpoints and requires this node's key, and this node hands the inbound connection
/// authenticated as the peer to the waiting attempt. Both ends report the strategy <c>reverse</c>.
/// </summary>
public sealed class ReverseStrategy : IConnectStrategy
{
    public const string StrategyName = "reverse";

    private readonly IReadOnlyList<RendezvousClient> _clients;
    private readonly ReverseWaiters _waiters;

    internal ReverseStrategy(IReadOnlyList<RendezvousClient> clients, ReverseWaiters waiters)
    {
        _clients = clients;
        _waiters = waiters;
    }

    public string Name => StrategyName;

    public async Task<AttemptOutcome> TryConnectAsync(ConnectContext context, CancellationToken cancellationToken)
    {
        var remote = context.Remote;
        if (context.LocalAddress is not { } local || DialTargets.From(local).Count == 0)
        {
            return AttemptOutcome.Failed("this node has no endpoint the peer could dial back");
        }
        var client = _clients.Where(c => remote.Rendezvous.Contains(c.Server)).OrderByDescending(c => c.IsRegistered).FirstOrDefault();
        if (client is null)
        {
            return AttemptOutcome.Failed(remote.Rendezvous.Count == 0
                ? "the peer's address names no rendezvous"
                : $"no rendezvous in common (the peer's: {string.Join(", ", remote.Rendezvous)}; this node's: {string.Join(", ", _clients.Select(c => c.Server))})");
        }
        await client.WaitRegisteredAsync(cancellationToken).ConfigureAwait(false);

        var nonce = RandomNumberGenerator.GetBytes(ReverseRequest.NonceSize);
        using var waiter = _waiters.Add(remote.NodeId, nonce, context.StartedAt, context.Time.GetUtcNow());
        void OnSignalFailed(NodeId target, SignalFailure reason)
        {
            if (target == remote.NodeId)
            {
                waiter.TryComplete(AttemptOutcome.Failed($"the rendezvous {client.Server} could not reach the peer ({reason})"));
            }
        }
        client.SignalFailed += OnSignalFailed;
        try
        {
            var request = ReverseRequest.Create(context.Local.Identity, local, remote.NodeId, nonce, context.Time.GetUtcNow());
            if (!client.TrySendSignal(remote.NodeId, request))
            {
                return AttemptOutcome.Failed($"the connection to the rendezvous {client.Server} is down");
            }
            try
            {
                return await waiter.Outcome.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The peer may still answer (the request is out): its late connection is closed, not accepted.
                waiter.Abandon(context.Time.GetUtcNow() + context.Options.Timeout);
                if (waiter.Outcome.Result.Connection is not null)
                {
                    return waiter.Outcome.Result; // it connected as we gave up: the race closes it
                }
                throw;
            }
        }
        finally
        {
            client.SignalFailed -= OnSignalFailed;
        }
    }
}
