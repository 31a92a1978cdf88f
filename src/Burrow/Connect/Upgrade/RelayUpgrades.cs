using Burrow.Addressing;
using Burrow.Transport;
using Microsoft.Extensions.Logging;

namespace Burrow.Connect.Upgrade;

/// <summary>
/// A node's part in replacing relayed connections with direct ones: for a relayed connection it made, the
/// background attempts (<see cref="RelayUpgrade"/>) through its own connect path, with the upgrade plan; for the
/// relayed connections it received, the direct connections their peers make (confirmed, then handed over by
/// <see cref="RelayedConnections"/>).
/// </summary>
internal sealed class RelayUpgrades(
    ConnectOrchestrator orchestrator, TlsCredentials credentials, Func<NodeAddress> localAddress, ConnectOptions options, TimeProvider time, ILogger logger)
{
    private readonly RelayedConnections _received = new();

    /// <summary>
    /// Starts trying the direct ways to <paramref name="remote"/> to replace <paramref name="relayed"/>, after
    /// <see cref="ConnectOptions.UpgradeAfter"/>; null (and <paramref name="relayed"/> told so) when the addresses
    /// leave no direct way. <paramref name="connected"/> hears of each direct connection made.
    /// </summary>
    public Task? Start(PeerConnection relayed, NodeAddress remote, Action<PeerConnection> connected, CancellationToken stopping)
    {
        if (ConnectPlanner.UpgradePlan(localAddress(), remote, orchestrator.Available).Count == 0)
        {
            relayed.EndUpgrade();
            return null;
        }
        async Task<PeerConnection> ConnectAsync(UpgradeTag tag, CancellationToken ct)
        {
            var local = localAddress();
            var attempt = new ConnectContext(credentials, local, remote, options, time, logger) { Upgrade = tag };
            var direct = await orchestrator.ConnectAsync(attempt, ConnectPlanner.UpgradePlan(local, remote, orchestrator.Available), ct).ConfigureAwait(false);
            connected(direct);
            return direct;
        }
        return RelayUpgrade.RunAsync(relayed, options.UpgradeAfter, time, ConnectAsync, logger, stopping);
    }

    /// <summary>Keeps a relayed connection this node received, for its peer's upgrade (others are ignored).</summary>
    public void Received(PeerConnection connection) => _received.Add(connection);

    /// <summary>
    /// A direct connection that names a relayed one: once its initiator confirms it (<see cref="RelayUpgrade.Chosen"/>),
    /// it goes to the open relayed connection with that peer and tag, waiting up to the handshake timeout for that
    /// one to be known. False when it was not taken: it is then closed.
    /// </summary>
    public async Task<bool> TakeAsync(PeerConnection direct, CancellationToken stopping)
    {
        var taken = false;
        try
        {
            taken = await RelayUpgrade.ConfirmedAsync(direct, options.HandshakeTimeout, stopping).ConfigureAwait(false)
                    && await _received.TryUpgradeAsync(direct, options.HandshakeTimeout, time, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the node is stopping
        }
        if (taken)
        {
            RelayUpgradesLog.Taken(logger, direct.RemoteId.ToShortString(), direct.RemoteEndPoint.ToString(), direct.Strategy);
            return true;
        }
        await direct.DisposeAsync().ConfigureAwait(false);
        RelayUpgradesLog.Refused(logger, direct.RemoteEndPoint.ToString());
        return false;
    }
}

internal static partial class RelayUpgradesLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Relayed connection with {Peer} upgraded: the peer reached this node directly from {Remote} via {Strategy}")]
    public static partial void Taken(ILogger logger, string peer, string remote, string strategy);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Inbound connection from {Remote} refused: it replaces no relayed connection open with that peer, or was not confirmed")]
    public static partial void Refused(ILogger logger, string remote);
}
