using System.Net;
using Burrow.Transport;

namespace Burrow.Connect;

/// <summary>
/// Dials the peer's advertised endpoints (public, mapped, LAN), IPv6 and IPv4 raced Happy-Eyeballs style;
/// the first endpoint that yields a stream authenticated as the peer wins.
/// </summary>
public sealed class DirectStrategy : IConnectStrategy
{
    public const string StrategyName = "direct";

    /// <summary>What a connection reports when it went to a port the peer's gateway mapped (UPnP, NAT-PMP, PCP).</summary>
    public const string PortMapName = "portmap";

    public string Name => StrategyName;

    public Task<AttemptOutcome> TryConnectAsync(ConnectContext context, CancellationToken cancellationToken) =>
        DialAddressAsync(context, StrategyName, initiated: true, cancellationToken);

    /// <summary>
    /// Races the endpoints of <see cref="ConnectContext.Remote"/> and authenticates the winner as that address's key;
    /// the connection reports <paramref name="strategy"/> (a reverse connect dials this way too).
    /// </summary>
    internal static async Task<AttemptOutcome> DialAddressAsync(ConnectContext context, string strategy, bool initiated, CancellationToken cancellationToken)
    {
        var targets = DialTargets.From(context.Remote, context.LocalAddress);
        if (targets.Count == 0)
        {
            return AttemptOutcome.Failed("the address has no endpoint to dial");
        }
        var entrants = targets
            .Select((target, i) => new RaceEntrant(target.ToString(), context.Options.AttemptDelay * i, ct => DialAsync(context, target, strategy, initiated, ct)))
            .ToList();
        var (winner, attempts) = await AttemptRace.RunAsync(entrants, context.Time, cancellationToken).ConfigureAwait(false);
        return winner is not null
            ? AttemptOutcome.Connected(winner)
            : AttemptOutcome.Failed(string.Join("; ", attempts.Select(a => $"{a.Strategy}: {a.Detail}")));
    }

    /// <summary><see cref="PortMapName"/> when <paramref name="target"/> is the public end of an automatic port mapping, else <see cref="StrategyName"/>.</summary>
    public static string NameFor(Addressing.NodeAddress remote, IPEndPoint target) =>
        remote.Endpoints.Any(e => e.MappingMethod is Addressing.MappingMethod.Upnp or Addressing.MappingMethod.NatPmp or Addressing.MappingMethod.Pcp
                                  && e.MappedPort != 0 && target.Equals(e.PublicEndPoint))
            ? PortMapName
            : StrategyName;

    private static async Task<AttemptOutcome> DialAsync(ConnectContext context, IPEndPoint target, string strategy, bool initiated, CancellationToken cancellationToken)
    {
        var socket = await TcpDialer.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
        try
        {
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            handshake.CancelAfter(context.Options.HandshakeTimeout);
            var (ssl, remoteId) = await PeerHandshake.AuthenticateAsync(
                new System.Net.Sockets.NetworkStream(socket, ownsSocket: false), context.Local, TlsRole.Client, context.Remote.NodeId, context.Upgrade, handshake.Token).ConfigureAwait(false);
            var reported = strategy == StrategyName ? NameFor(context.Remote, target) : strategy; // a direct dial to a mapped port says "portmap"
            return AttemptOutcome.Connected(new PeerConnection(socket, ssl, remoteId, reported, context.Time.GetElapsedTime(context.StartedAt), initiated));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            return AttemptOutcome.Failed($"{target}: the TLS handshake timed out after {context.Options.HandshakeTimeout.TotalSeconds:0.#} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
