using Burrow.Rendezvous;
using Burrow.Tests.Transport;
using Burrow.Transport;

namespace Burrow.Tests.Rendezvous;

/// <summary>How a node ↔ rendezvous TLS connection ends, as the other end reads it.</summary>
public sealed class RendezvousConnectionTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly NodeKeys _node = new();
    private readonly NodeKeys _server = new();

    public void Dispose()
    {
        _node.Dispose();
        _server.Dispose();
    }

    private async Task<(RendezvousConnection Node, RendezvousConnection Server)> ConnectAsync(CancellationToken ct)
    {
        var (client, accepted) = await SecureStreamTests.LoopbackPairAsync(ct);
        var node = RendezvousConnection.EstablishAsync(client, _node.Tls, TlsRole.Client, Wait, 16, ct);
        var server = await RendezvousConnection.EstablishAsync(accepted, _server.Tls, TlsRole.Server, Wait, 16, ct);
        return (await node, server);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_connection_closed_in_order_is_a_clean_end_to_the_other_side()
    {
        var ct = TestContext.Current.CancellationToken;
        var (node, server) = await ConnectAsync(ct);
        await using var _ = node;
        var receiving = node.ReceiveAsync(Wait, ct); // waiting, as a node always is
        await server.DisposeAsync(); // sends what is queued, then close_notify
        Assert.Null(await receiving.WaitAsync(Wait, ct));
    }

    [Fact(Timeout = 30_000)]
    public async Task An_aborted_connection_is_a_cut_to_the_other_side()
    {
        var ct = TestContext.Current.CancellationToken;
        var (node, server) = await ConnectAsync(ct);
        await using var _ = node;
        await using var __ = server;
        var receiving = node.ReceiveAsync(Wait, ct);
        server.Abort();
        var e = await Assert.ThrowsAnyAsync<IOException>(() => receiving.WaitAsync(Wait, ct));
        // A FIN with no close_notify (a cut), or a reset if the TLS session tickets were still unread: never a clean end.
        Assert.True(e.InnerException is ProtocolViolationException { Code: "stream_truncated" } || e.InnerException is System.Net.Sockets.SocketException, e.ToString());
    }
}
