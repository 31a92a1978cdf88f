using System.Net;
using System.Net.Sockets;
using Burrow.Addressing;
using Burrow.Connect;
using Burrow.Identity;
using Burrow.Transport;

namespace Burrow.Relay;

/// <summary>
/// What both sides of a relayed connection do: bind the token at the relay, then run the peer handshake
/// through it (the dialer as TLS client), requiring the other's key. The connection reports the relay's limits.
/// </summary>
internal static class RelaySession
{
    public const string StrategyName = "relay";

    public static async Task<AttemptOutcome> RunAsync(SignalEndpoint relay, ReadOnlyMemory<byte> token, TlsCredentials credentials, NodeId remote,
        bool initiated, ConnectOptions options, TimeProvider time, long startedAt, CancellationToken cancellationToken)
    {
        var endpoint = await ResolveAsync(relay, cancellationToken).ConfigureAwait(false);
        var (socket, limits) = await RelayClient.BindAsync(endpoint, token, cancellationToken).ConfigureAwait(false);
        var end = RelaySessionEnd.PairedNow(time, limits.MaxDuration); // the relay's duration count began at the pairing
        try
        {
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            handshake.CancelAfter(options.HandshakeTimeout);
            var (ssl, remoteId) = await PeerHandshake.AuthenticateAsync(new NetworkStream(socket, ownsSocket: false), credentials,
                TlsRoles.ForSimultaneousOpen(initiated), remote, handshake.Token).ConfigureAwait(false);
            return AttemptOutcome.Connected(new PeerConnection(socket, ssl, remoteId, StrategyName, time.GetElapsedTime(startedAt), initiated, limits,
                UpgradeTag.FromRelayToken(token.Span), end));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<IPEndPoint> ResolveAsync(SignalEndpoint relay, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(relay.Host, out var ip))
        {
            return new IPEndPoint(ip, relay.Port);
        }
        var addresses = await Dns.GetHostAddressesAsync(relay.Host, cancellationToken).ConfigureAwait(false);
        return addresses.Length > 0 ? new IPEndPoint(addresses[0], relay.Port)
            : throw new SocketException((int)SocketError.HostNotFound);
    }
}
