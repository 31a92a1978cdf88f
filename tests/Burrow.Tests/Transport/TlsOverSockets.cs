using System.Net.Security;
using System.Net.Sockets;
using Burrow.Identity;
using Burrow.Transport;

namespace Burrow.Tests.Transport;

/// <summary>Runs the peer handshake on both ends of a connected socket pair, as alice and bob.</summary>
internal sealed class TlsOverSockets : IAsyncDisposable
{
    private TlsOverSockets(SslStream alice, NodeId aliceSees, SslStream bob, NodeId bobSees) =>
        (Alice, AliceSees, Bob, BobSees) = (alice, aliceSees, bob, bobSees);

    public SslStream Alice { get; }

    public NodeId AliceSees { get; }

    public SslStream Bob { get; }

    public NodeId BobSees { get; }

    /// <summary>Alice requires bob's key; bob learns alice's (or requires it too when <paramref name="bobChecks"/>).</summary>
    public static Task<TlsOverSockets> AuthenticateAsync(
        Socket aliceSocket, TlsCredentials alice, TlsRole aliceRole,
        Socket bobSocket, TlsCredentials bob, TlsRole bobRole, bool bobChecks, CancellationToken ct) =>
        AuthenticateAsync(new NetworkStream(aliceSocket), alice, aliceRole, new NetworkStream(bobSocket), bob, bobRole, bobChecks, ct);

    /// <summary>As above, over any two transports (say, one that misbehaves on purpose).</summary>
    public static async Task<TlsOverSockets> AuthenticateAsync(
        Stream aliceTransport, TlsCredentials alice, TlsRole aliceRole,
        Stream bobTransport, TlsCredentials bob, TlsRole bobRole, bool bobChecks, CancellationToken ct)
    {
        var aliceSide = PeerHandshake.AuthenticateAsync(aliceTransport, alice, aliceRole, bob.Identity.NodeId, ct);
        var bobSide = PeerHandshake.AuthenticateAsync(bobTransport, bob, bobRole, bobChecks ? alice.Identity.NodeId : null, ct);
        var (aliceStream, aliceSees) = await aliceSide;
        var (bobStream, bobSees) = await bobSide;
        return new TlsOverSockets(aliceStream, aliceSees, bobStream, bobSees);
    }

    public async ValueTask DisposeAsync()
    {
        await Alice.DisposeAsync();
        await Bob.DisposeAsync();
    }
}
