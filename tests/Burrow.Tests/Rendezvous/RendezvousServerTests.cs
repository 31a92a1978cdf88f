using System.Net;
using Burrow.Addressing;
using Burrow.Connect;
using Burrow.Identity;
using Burrow.Rendezvous;
using Burrow.Rendezvous.Client;
using Burrow.Rendezvous.Protocol;
using Burrow.Rendezvous.Server;
using Burrow.Transport;

namespace Burrow.Tests.Rendezvous;

/// <summary>The rendezvous server on loopback, spoken to with the raw protocol.</summary>
public sealed class RendezvousServerTests : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly NodeIdentity _alice = NodeIdentity.Create();
    private readonly NodeIdentity _bob = NodeIdentity.Create();
    private readonly TlsCredentials _aliceTls;
    private readonly TlsCredentials _bobTls;

    public RendezvousServerTests()
    {
        _aliceTls = new TlsCredentials(_alice, TimeProvider.System);
        _bobTls = new TlsCredentials(_bob, TimeProvider.System);
    }

    public ValueTask DisposeAsync()
    {
        _aliceTls.Dispose();
        _bobTls.Dispose();
        _alice.Dispose();
        _bob.Dispose();
        return ValueTask.CompletedTask;
    }

    internal static Task<RendezvousServer> StartServerAsync(CancellationToken ct, Func<RendezvousServerOptions, RendezvousServerOptions>? tweak = null)
    {
        var options = new RendezvousServerOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0) };
        return RendezvousServer.StartAsync(tweak?.Invoke(options) ?? options, ct);
    }

    private static async Task<RendezvousConnection> ConnectAsync(RendezvousServer server, TlsCredentials tls, CancellationToken ct)
    {
        var socket = await TcpDialer.ConnectAsync(server.LocalEndPoint, ct);
        return await RendezvousConnection.EstablishAsync(socket, tls, TlsRole.Client, Wait, 16, ct);
    }

    private static NodeAddress AddressOf(NodeIdentity key) => ReverseRequestTests.AddressOf(key, DateTimeOffset.UtcNow, 4000);

    private static async Task<T> ReceiveAsync<T>(RendezvousConnection connection, CancellationToken ct)
        where T : RendezvousMessage
    {
        var message = await connection.ReceiveAsync(Wait, ct);
        return Assert.IsType<T>(message);
    }

    private async Task<RendezvousConnection> RegisterAsync(RendezvousServer server, TlsCredentials tls, CancellationToken ct)
    {
        var connection = await ConnectAsync(server, tls, ct);
        Assert.True(connection.TrySend(new Register(AddressOf(tls.Identity).Record)));
        await ReceiveAsync<Registered>(connection, ct);
        return connection;
    }

    [Fact(Timeout = 30_000)]
    public async Task A_node_registers_and_learns_its_observed_endpoint_and_the_time()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StartServerAsync(ct);
        var socket = await TcpDialer.ConnectAsync(server.LocalEndPoint, ct);
        var local = (IPEndPoint)socket.LocalEndPoint!;
        await using var connection = await RendezvousConnection.EstablishAsync(socket, _aliceTls, TlsRole.Client, Wait, 16, ct);
        Assert.Equal(server.NodeId, connection.RemoteId);

        var before = DateTimeOffset.UtcNow;
        connection.TrySend(new Register(AddressOf(_alice).Record));
        var registered = await ReceiveAsync<Registered>(connection, ct);
        Assert.Equal(local, registered.ObservedEndPoint);
        Assert.InRange(registered.ServerTime, before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.True(server.IsRegistered(_alice.NodeId));
        Assert.Equal(1, server.RegisteredCount);

        var t0 = DateTimeOffset.UtcNow;
        connection.TrySend(new TimeRequest(t0));
        var reply = await ReceiveAsync<TimeReply>(connection, ct);
        Assert.Equal(t0.UtcTicks / 10, reply.ClientSent.UtcTicks / 10);
        Assert.True(reply.ServerSent >= reply.ServerReceived);

        connection.TrySend(new Ping(42));
        Assert.Equal(42UL, (await ReceiveAsync<Pong>(connection, ct)).Value);
    }

    [Fact(Timeout = 30_000)]
    public async Task Registering_an_address_whose_key_is_not_the_TLS_key_is_refused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StartServerAsync(ct);
        await using var connection = await ConnectAsync(server, _aliceTls, ct); // TLS as alice…
        connection.TrySend(new Register(AddressOf(_bob).Record));               // …registering bob's (validly signed) address
        Assert.Equal(RegisterRefusal.KeyMismatch, (await ReceiveAsync<RegisterRefused>(connection, ct)).Reason);
        await AssertClosedAsync(connection, ct);
        Assert.False(server.IsRegistered(_bob.NodeId));
        Assert.False(server.IsRegistered(_alice.NodeId));
    }

    [Fact(Timeout = 30_000)]
    public async Task The_first_message_must_be_a_registration()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StartServerAsync(ct);
        await using var connection = await ConnectAsync(server, _aliceTls, ct);
        connection.TrySend(new SignalTo(_bob.NodeId, new byte[] { 1 }));
        Assert.Equal(RegisterRefusal.NotRegistered, (await ReceiveAsync<RegisterRefused>(connection, ct)).Reason);
        await AssertClosedAsync(connection, ct);
    }

    [Fact(Timeout = 30_000)]
    public async Task Signals_are_forwarded_between_registered_nodes_and_fail_for_unknown_or_vanished_ones()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StartServerAsync(ct);
        await using var alice = await RegisterAsync(server, _aliceTls, ct);
        var bob = await RegisterAsync(server, _bobTls, ct);

        alice.TrySend(new SignalTo(_bob.NodeId, new byte[] { 1, 2, 3 }));
        var received = await ReceiveAsync<SignalFrom>(bob, ct);
        Assert.Equal(_alice.NodeId, received.Source); // the TLS-authenticated sender, whatever the payload says
        Assert.Equal(new byte[] { 1, 2, 3 }, received.Payload.ToArray());

        using var stranger = NodeIdentity.Create();
        alice.TrySend(new SignalTo(stranger.NodeId, new byte[] { 9 }));
        var failed = await ReceiveAsync<SignalFailed>(alice, ct);
        Assert.Equal((stranger.NodeId, SignalFailure.UnknownPeer), (failed.Target, failed.Reason));

        // Bob vanishes mid-exchange: the server drops him and goes on serving alice.
        bob.Abort();
        await bob.DisposeAsync();
        while (server.IsRegistered(_bob.NodeId))
        {
            await Task.Delay(10, ct);
        }
        alice.TrySend(new SignalTo(_bob.NodeId, new byte[] { 4 }));
        Assert.Equal(SignalFailure.UnknownPeer, (await ReceiveAsync<SignalFailed>(alice, ct)).Reason);
        alice.TrySend(new Ping(1));
        await ReceiveAsync<Pong>(alice, ct);
        Assert.Equal(1, server.RegisteredCount);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_node_that_sends_nothing_for_the_idle_timeout_is_dropped()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StartServerAsync(ct, o => o with { IdleTimeout = TimeSpan.FromMilliseconds(300) });
        await using var silent = await RegisterAsync(server, _aliceTls, ct);
        Assert.True(server.IsRegistered(_alice.NodeId));
        await AssertClosedAsync(silent, ct);
        while (server.IsRegistered(_alice.NodeId))
        {
            await Task.Delay(10, ct);
        }
        Assert.Equal(0, server.RegisteredCount);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_node_that_registers_again_on_a_new_connection_replaces_the_old_one()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StartServerAsync(ct);
        await using var first = await RegisterAsync(server, _aliceTls, ct);
        await using var second = await RegisterAsync(server, _aliceTls, ct);
        await AssertClosedAsync(first, ct);
        await using var bob = await RegisterAsync(server, _bobTls, ct);
        bob.TrySend(new SignalTo(_alice.NodeId, new byte[] { 7 }));
        Assert.Equal(new byte[] { 7 }, (await ReceiveAsync<SignalFrom>(second, ct)).Payload.ToArray());
        Assert.Equal(2, server.RegisteredCount);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_full_server_refuses_new_nodes_but_takes_a_node_back_and_makes_room_when_one_leaves()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StartServerAsync(ct, o => o with { MaxNodes = 1 });
        await using var first = await RegisterAsync(server, _aliceTls, ct);

        await using (var bob = await ConnectAsync(server, _bobTls, ct))
        {
            bob.TrySend(new Register(AddressOf(_bob).Record));
            Assert.Equal(RegisterRefusal.Full, (await ReceiveAsync<RegisterRefused>(bob, ct)).Reason);
            await AssertClosedAsync(bob, ct);
        }
        Assert.False(server.IsRegistered(_bob.NodeId));

        await using var second = await RegisterAsync(server, _aliceTls, ct); // alice on a new connection: not a new node
        await AssertClosedAsync(first, ct);
        Assert.Equal(1, server.RegisteredCount);

        await second.DisposeAsync(); // alice leaves: room for bob
        await Eventually.HoldsAsync(() => server.RegisteredCount == 0, ct);
        await using var admitted = await RegisterAsync(server, _bobTls, ct);
        Assert.True(server.IsRegistered(_bob.NodeId));
        Assert.Equal(1, server.RegisteredCount);
    }

    [Fact(Timeout = 30_000)]
    public async Task One_address_holds_at_most_its_share_of_the_connections_not_registered_yet()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StartServerAsync(ct, o => o with { MaxPendingPerAddress = 1, HandshakeTimeout = TimeSpan.FromSeconds(20) });

        // An idle socket from 127.0.0.1 (no handshake) holds 127.0.0.1's one place: the next one is closed at once.
        var idle = await TcpDialer.ConnectAsync(server.LocalEndPoint, ct);
        await Eventually.HoldsAsync(() => server.PendingCount == 1, ct);
        await Assert.ThrowsAsync<PeerAuthenticationException>(() => ConnectAsync(server, _aliceTls, ct));
        await using (var elsewhere = await ConnectFromAsync(IPAddress.Parse("127.0.0.2"), server, _bobTls, ct)) // another host: its own share
        {
            Assert.True(elsewhere.TrySend(new Register(AddressOf(_bob).Record)));
            await ReceiveAsync<Registered>(elsewhere, ct);
        }

        idle.Dispose(); // its place is given back
        await Eventually.HoldsAsync(() => server.PendingCount == 0, ct);

        // A place is held through the registration, not only the handshake.
        await using var alice = await ConnectAsync(server, _aliceTls, ct);
        await Assert.ThrowsAsync<PeerAuthenticationException>(() => ConnectAsync(server, _bobTls, ct));
        Assert.True(alice.TrySend(new Register(AddressOf(_alice).Record)));
        await ReceiveAsync<Registered>(alice, ct);
        await using var bob = await RegisterAsync(server, _bobTls, ct);
        Assert.Equal(2, server.RegisteredCount);
    }

    private static async Task<RendezvousConnection> ConnectFromAsync(IPAddress local, RendezvousServer server, TlsCredentials tls, CancellationToken ct)
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(local, 0));
        await socket.ConnectAsync(server.LocalEndPoint, ct);
        return await RendezvousConnection.EstablishAsync(socket, tls, TlsRole.Client, Wait, 16, ct);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_client_registers_learns_its_endpoint_and_clock_and_receives_signals()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await StartServerAsync(ct);
        var endpoint = new SignalEndpoint("127.0.0.1", server.LocalEndPoint.Port);
        var address = AddressOf(_alice);
        await using var client = new RendezvousClient(endpoint, _aliceTls, () => address);
        client.Start();
        await client.WaitRegisteredAsync(ct);
        Assert.True(client.IsRegistered);
        Assert.Equal(IPAddress.Loopback, client.ObservedEndPoint!.Address);
        await using var bob = await RegisterAsync(server, _bobTls, ct);
        bob.TrySend(new SignalTo(_alice.NodeId, new byte[] { 5 }));
        var signal = await client.Signals.ReadAsync(ct);
        Assert.Equal((_bob.NodeId, 5), (signal.Source, (int)signal.Payload.Span[0]));
        while (client.ClockSamples < RendezvousClient.InitialClockSamples)
        {
            await Task.Delay(10, ct); // the time replies follow the registration, one after the other
        }
        Assert.True(client.Clock!.Value.Offset.Duration() < TimeSpan.FromSeconds(1)); // same machine, same clock
    }

    [Fact(Timeout = 30_000)]
    public async Task The_server_counts_registered_nodes_and_signals()
    {
        var ct = TestContext.Current.CancellationToken;
        var signals = new System.Collections.Concurrent.ConcurrentBag<string>();
        long nodes = -1;
        using var meters = new ScopedMeterFactory();
        await using var server = await StartServerAsync(ct, o => o with { MeterFactory = meters });
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters) // this server's, not another test's
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "burrow.rendezvous.signals")
            {
                foreach (var tag in tags)
                {
                    signals.Add((string)tag.Value!);
                }
            }
            else if (instrument.Name == "burrow.rendezvous.nodes")
            {
                Interlocked.Exchange(ref nodes, value);
            }
        });
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => Interlocked.Exchange(ref nodes, value));
        listener.Start();

        await using var alice = await RegisterAsync(server, _aliceTls, ct);
        await using var bob = await RegisterAsync(server, _bobTls, ct);
        alice.TrySend(new SignalTo(_bob.NodeId, new byte[] { 1 }));
        await ReceiveAsync<SignalFrom>(bob, ct);
        using var stranger = NodeIdentity.Create();
        alice.TrySend(new SignalTo(stranger.NodeId, new byte[] { 1 }));
        await ReceiveAsync<SignalFailed>(alice, ct);
        listener.RecordObservableInstruments();
        Assert.Equal(2, Interlocked.Read(ref nodes));
        Assert.Contains("forwarded", signals);
        Assert.Contains("unknown_peer", signals);
    }

    [Fact]
    public void Backoff_doubles_from_the_minimum_to_the_maximum_with_jitter()
    {
        var min = TimeSpan.FromMilliseconds(250);
        var max = TimeSpan.FromSeconds(30);
        Assert.Equal(TimeSpan.FromMilliseconds(250), Backoff.Delay(0, min, max, 1.0));
        Assert.Equal(TimeSpan.FromMilliseconds(125), Backoff.Delay(0, min, max, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(1000), Backoff.Delay(2, min, max, 1.0));
        Assert.Equal(max, Backoff.Delay(50, min, max, 1.0));
    }

    /// <summary>Meters scoped to one test, so that servers of tests running alongside do not count.</summary>
    private sealed class ScopedMeterFactory : System.Diagnostics.Metrics.IMeterFactory
    {
        private readonly List<System.Diagnostics.Metrics.Meter> _meters = [];

        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options)
        {
            var meter = new System.Diagnostics.Metrics.Meter(new System.Diagnostics.Metrics.MeterOptions(options.Name) { Version = options.Version, Scope = this });
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }

    private static async Task AssertClosedAsync(RendezvousConnection connection, CancellationToken ct)
    {
        try
        {
            Assert.Null(await connection.ReceiveAsync(Wait, ct));
        }
        catch (IOException)
        {
            // closed with a reset: closed too
        }
    }
}
