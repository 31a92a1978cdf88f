using System.Net;
using System.Net.Sockets;
using Burrow.Identity;
using Burrow.Transport;

namespace Burrow.Tests.Transport;

public class SecureStreamTests
{
    private static readonly TimeProvider Time = TimeProvider.System;

    [Fact(Timeout = 60_000)]
    public async Task Simultaneous_open_both_sockets_connect_and_agree_on_tls_roles()
    {
        var ct = TestContext.Current.CancellationToken;
        using var alice = NodeIdentity.Create();
        using var bob = NodeIdentity.Create();
        using var aliceTls = new TlsCredentials(alice, Time);
        using var bobTls = new TlsCredentials(bob, Time);

        var (aliceSocket, bobSocket) = await SimultaneousOpen.ConnectPairAsync(ct);
        using var _ = aliceSocket;
        using var __ = bobSocket;
        // Neither side accepted: Alice initiated (she is the TLS client), Bob answered.
        var aliceRole = TlsRoles.ForSimultaneousOpen(initiated: true);
        var bobRole = TlsRoles.ForSimultaneousOpen(initiated: false);
        Assert.NotEqual(aliceRole, bobRole);

        await using var tls = await TlsOverSockets.AuthenticateAsync(aliceSocket, aliceTls, aliceRole, bobSocket, bobTls, bobRole, bobChecks: true, ct);
        Assert.Equal(bob.NodeId, tls.AliceSees);
        Assert.Equal(alice.NodeId, tls.BobSees);
        await tls.Alice.WriteAsync("ping"u8.ToArray(), ct);
        var buffer = new byte[4];
        await tls.Bob.ReadExactlyAsync(buffer, ct);
        Assert.Equal("ping"u8.ToArray(), buffer);
    }

    [Fact]
    public void Role_rule_makes_the_initiator_the_client_and_the_roles_complementary()
    {
        Assert.Equal(TlsRole.Client, TlsRoles.ForSimultaneousOpen(initiated: true));
        Assert.Equal(TlsRole.Server, TlsRoles.ForSimultaneousOpen(initiated: false));
    }

    [Fact(Timeout = 60_000)]
    public async Task Dialer_refuses_a_server_whose_key_is_not_the_expected_one()
    {
        var ct = TestContext.Current.CancellationToken;
        using var alice = NodeIdentity.Create();
        using var bob = NodeIdentity.Create();
        using var mallory = NodeIdentity.Create();
        using var aliceTls = new TlsCredentials(alice, Time);
        using var malloryTls = new TlsCredentials(mallory, Time);
        var (client, accepted) = await LoopbackPairAsync(ct);
        using var _ = client;
        using var __ = accepted;

        var server = PeerHandshake.AuthenticateAsync(new NetworkStream(accepted), malloryTls, TlsRole.Server, null, ct);
        var refused = await Assert.ThrowsAsync<PeerAuthenticationException>(
            () => PeerHandshake.AuthenticateAsync(new NetworkStream(client, ownsSocket: true), aliceTls, TlsRole.Client, bob.NodeId, ct));
        Assert.Contains("not the expected", refused.Message, StringComparison.Ordinal);
        Assert.Equal("peer_authentication", refused.Code);
        // In TLS 1.3 the server's handshake may complete before the client checks its certificate; either way,
        // the impostor gets a dead stream: no byte of Alice's ever reaches it.
        try
        {
            var (malloryStream, _) = await server;
            await using (malloryStream)
            {
                Assert.Equal(0, await malloryStream.ReadAsync(new byte[16], ct));
            }
        }
        catch (Exception e) when (e is PeerAuthenticationException or IOException)
        {
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_non_burrow_tls_or_plain_peer_is_refused_within_the_deadline()
    {
        var ct = TestContext.Current.CancellationToken;
        using var alice = NodeIdentity.Create();
        using var aliceTls = new TlsCredentials(alice, Time);
        var (client, accepted) = await LoopbackPairAsync(ct);
        using var _ = client;
        using var __ = accepted;
        // The "server" answers the ClientHello with HTTP garbage.
        await accepted.SendAsync("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray(), ct);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<PeerAuthenticationException>(
            () => PeerHandshake.AuthenticateAsync(new NetworkStream(client), aliceTls, TlsRole.Client, null, deadline.Token));
    }

    /// <summary>A connected TCP socket pair on loopback (an ordinary connect and accept).</summary>
    internal static async Task<(Socket Client, Socket Accepted)> LoopbackPairAsync(CancellationToken ct)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!, ct);
        return (client, await listener.AcceptAsync(ct));
    }
}
