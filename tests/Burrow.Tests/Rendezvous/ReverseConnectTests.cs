using System.Net;
using Burrow.Addressing;
using Burrow.Connect;
using Burrow.Connect.Reverse;
using Burrow.Identity;
using Burrow.Node;
using Burrow.Rendezvous.Client;
using Burrow.Rendezvous.Server;
using Burrow.Tests.Node;
using Burrow.Transport;

namespace Burrow.Tests.Rendezvous;

/// <summary>
/// Reverse connect on loopback through a real rendezvous: alice listens, bob has no listener at all (so no
/// direct connect can reach him), both are registered at the same rendezvous.
/// </summary>
public sealed class ReverseConnectTests : IAsyncDisposable
{
    private static readonly RendezvousClientOptions FastRetry = new()
    {
        MinReconnectDelay = TimeSpan.FromMilliseconds(50),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(400),
    };

    private readonly Owned _owned = new();
    private readonly NodeIdentity _aliceKey;
    private readonly NodeIdentity _bobKey;
    private readonly NodeIdentity _carolKey;

    public ReverseConnectTests() =>
        (_aliceKey, _bobKey, _carolKey) = (_owned.Add(NodeIdentity.Create()), _owned.Add(NodeIdentity.Create()), _owned.Add(NodeIdentity.Create()));

    public ValueTask DisposeAsync() => _owned.DisposeAsync();

    private Task<T> Own<T>(Task<T> starting)
        where T : IAsyncDisposable => _owned.AddAsync(starting);

    private async Task<BurrowNode> StartNodeAsync(NodeIdentity key, SignalEndpoint rendezvous, bool listen, CancellationToken ct)
    {
        var node = await Own(NodeHarness.StartAsync(key, ct, o => o with
        {
            ListenEndpoints = listen ? o.ListenEndpoints : [],
            Rendezvous = [rendezvous],
            RendezvousClient = FastRetry,
            Connect = o.Connect with { Timeout = TimeSpan.FromSeconds(3) },
        }));
        await node.Rendezvous[0].WaitRegisteredAsync(ct);
        return node;
    }

    private static SignalEndpoint EndpointOf(RendezvousServer server) => new("127.0.0.1", server.LocalEndPoint.Port);

    [Fact(Timeout = 60_000)]
    public async Task A_node_without_a_listener_is_reached_by_reverse_connect_and_both_sides_say_so()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = await Own(RendezvousServerTests.StartServerAsync(ct));
        var rendezvous = EndpointOf(server);
        var alice = await StartNodeAsync(_aliceKey, rendezvous, listen: true, ct);
        var bob = await StartNodeAsync(_bobKey, rendezvous, listen: false, ct);

        Assert.Equal([rendezvous], bob.Address.Rendezvous);
        Assert.Empty(DialTargets.From(bob.Address)); // direct cannot reach bob
        await Assert.ThrowsAsync<ConnectFailedException>(() => alice.ConnectWithAsync(bob.Address, DirectStrategy.StrategyName, ct));

        var accepting = bob.AcceptAsync(ct);
        await using var outbound = await alice.ConnectWithAsync(bob.Address, ReverseStrategy.StrategyName, ct);
        await using var inbound = await accepting;
        Assert.Equal((bob.NodeId, "reverse", true), (outbound.RemoteId, outbound.Strategy, outbound.IsInitiator));
        Assert.Equal((alice.NodeId, "reverse", false), (inbound.RemoteId, inbound.Strategy, inbound.IsInitiator));
        Assert.True(outbound.Elapsed > TimeSpan.Zero);
        TestContext.Current.SendDiagnosticMessage($"reverse connect on loopback: {outbound.Elapsed.TotalMilliseconds:F1} ms");

        await ExchangeAsync(outbound, inbound, ct);
        await AssertNothingAcceptedAsync(alice); // the inbound leg went to the waiting attempt, not to AcceptAsync
    }

    [Fact(Timeout = 60_000)]
    public async Task When_the_peer_cannot_connect_back_the_attempt_fails_at_once_saying_so()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = await Own(RendezvousServerTests.StartServerAsync(ct));
        var rendezvous = EndpointOf(server);
        // Alice advertises a forwarded port where nothing listens: bob's dial back is refused.
        var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var closedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var alice = await Own(NodeHarness.StartAsync(_aliceKey, ct, o => o with
        {
            ListenEndpoints = [],
            ManualPublicEndpoints = [new IPEndPoint(IPAddress.Loopback, closedPort)],
            Rendezvous = [rendezvous],
            Connect = o.Connect with { Timeout = TimeSpan.FromSeconds(30) },
        }));
        await alice.Rendezvous[0].WaitRegisteredAsync(ct);
        var bob = await StartNodeAsync(_bobKey, rendezvous, listen: false, ct);

        var started = TimeProvider.System.GetTimestamp();
        var failed = await Assert.ThrowsAsync<ConnectFailedException>(() => alice.ConnectWithAsync(bob.Address, ReverseStrategy.StrategyName, ct));
        var elapsed = TimeProvider.System.GetElapsedTime(started);
        var attempt = Assert.Single(failed.Attempts);
        Assert.Contains("could not connect back", attempt.Detail, StringComparison.Ordinal);
        Assert.True(elapsed < TimeSpan.FromSeconds(15), $"{elapsed}"); // not the 30 s timeout
        TestContext.Current.SendDiagnosticMessage($"reverse refusal reported after {elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact(Timeout = 60_000)]
    public async Task A_late_answer_to_a_given_up_attempt_is_closed_not_accepted()
    {
        var ct = TestContext.Current.CancellationToken;
        // A slow rendezvous: the request reaches bob after alice's attempt has given up.
        var server = await Own(RendezvousServerTests.StartServerAsync(ct, o => o with
        {
            SignalRewriter = signal =>
            {
                Thread.Sleep(1500);
                return signal;
            },
        }));
        var rendezvous = EndpointOf(server);
        var alice = await Own(NodeHarness.StartAsync(_aliceKey, ct, o => o with
        {
            Rendezvous = [rendezvous],
            Connect = o.Connect with { Timeout = TimeSpan.FromSeconds(1) },
        }));
        await alice.Rendezvous[0].WaitRegisteredAsync(ct);
        var bob = await StartNodeAsync(_bobKey, rendezvous, listen: false, ct);

        await Assert.ThrowsAsync<ConnectFailedException>(() => alice.ConnectWithAsync(bob.Address, ReverseStrategy.StrategyName, ct));
        // Bob does answer: his leg is authenticated, then alice closes it (as a race closes a late loser).
        await using var late = await bob.AcceptAsync(ct);
        Assert.Equal((alice.NodeId, "reverse"), (late.RemoteId, late.Strategy));
        try
        {
            Assert.Equal(0, await late.Stream.ReadAsync(new byte[1], ct));
        }
        catch (IOException)
        {
            // closed with a reset: closed too
        }
        await AssertNothingAcceptedAsync(alice); // and it never surfaced on alice's side
    }

    public enum Lie
    {
        /// <summary>Replace the requester's address in the request with carol's (validly signed) address.</summary>
        SwapAddress,

        /// <summary>Flip one bit of the payload.</summary>
        AlterPayload,

        /// <summary>Say the request comes from carol.</summary>
        ClaimOtherSender,

        /// <summary>Deliver bob's request to carol instead.</summary>
        RedirectToCarol,

        /// <summary>Send, instead, a request the liar signed itself, whose address lists carol's endpoint.</summary>
        ForgeOwnRequestPointingAtCarol,
    }

    [Theory(Timeout = 60_000)]
    [InlineData(Lie.SwapAddress)]
    [InlineData(Lie.AlterPayload)]
    [InlineData(Lie.ClaimOtherSender)]
    [InlineData(Lie.RedirectToCarol)]
    [InlineData(Lie.ForgeOwnRequestPointingAtCarol)]
    public async Task A_lying_rendezvous_never_yields_a_connection_to_the_wrong_peer(Lie lie)
    {
        var ct = TestContext.Current.CancellationToken;
        using var mallory = NodeIdentity.Create();
        BurrowNode? carol = null;
        var server = await Own(RendezvousServerTests.StartServerAsync(ct, o => o with
        {
            SignalRewriter = signal => Rewrite(signal, lie, carol!, mallory),
        }));
        var rendezvous = EndpointOf(server);
        var alice = await StartNodeAsync(_aliceKey, rendezvous, listen: true, ct);
        var bob = await StartNodeAsync(_bobKey, rendezvous, listen: false, ct);
        carol = await StartNodeAsync(_carolKey, rendezvous, listen: true, ct);

        var failed = await Assert.ThrowsAsync<ConnectFailedException>(() => alice.ConnectWithAsync(bob.Address, ReverseStrategy.StrategyName, ct));
        TestContext.Current.SendDiagnosticMessage($"{lie}: {failed.Message}");
        await AssertNothingAcceptedAsync(alice);
        await AssertNothingAcceptedAsync(bob);
        if (lie == Lie.ForgeOwnRequestPointingAtCarol)
        {
            await AssertAtMostARefusedKnockAsync(carol, bob.NodeId);
        }
        else
        {
            await AssertNothingAcceptedAsync(carol);
        }
    }

    /// <summary>
    /// Bob dialed carol's endpoint expecting mallory's key and refused carol's. TLS 1.3 lets the acceptor finish
    /// its side of the handshake before the dialer checks the acceptor's key, so carol may see bob — really
    /// bob — connect and at once close: no data, and never anyone but bob.
    /// </summary>
    private static async Task AssertAtMostARefusedKnockAsync(BurrowNode node, NodeId dialer)
    {
        using var brief = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        PeerConnection knock;
        try
        {
            knock = await node.AcceptAsync(brief.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await using (knock)
        {
            Assert.Equal(dialer, knock.RemoteId);
            using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                Assert.Equal(0, await knock.Stream.ReadAsync(new byte[1], closing.Token));
            }
            catch (IOException)
            {
                // closed with an alert or a reset: closed too
            }
        }
    }

    private static ForwardedSignal Rewrite(ForwardedSignal signal, Lie lie, BurrowNode carol, NodeIdentity mallory)
    {
        var payload = signal.Payload.ToArray();
        const int recordAt = 1 + 32 + ReverseRequest.NonceSize + 8 + 2;
        switch (lie)
        {
            case Lie.SwapAddress:
                var carols = carol.Address.Record.ToArray();
                var length = (payload[recordAt - 2] << 8) | payload[recordAt - 1];
                byte[] swapped = [.. payload[..(recordAt - 2)], (byte)(carols.Length >> 8), (byte)carols.Length, .. carols, .. payload[(recordAt + length)..]];
                return signal with { Payload = swapped };
            case Lie.AlterPayload:
                payload[recordAt + 10] ^= 0x04;
                return signal with { Payload = payload };
            case Lie.ClaimOtherSender:
                return signal with { Source = carol.NodeId };
            case Lie.RedirectToCarol:
                return signal with { Target = carol.NodeId };
            default:
                var forgedAddress = NodeAddress.Issue(mallory, new NodeAddressContent { Endpoints = carol.Address.Endpoints, IssuedAt = DateTimeOffset.UtcNow });
                var forged = ReverseRequest.Create(mallory, forgedAddress, signal.Target, new byte[ReverseRequest.NonceSize], DateTimeOffset.UtcNow);
                return new ForwardedSignal(mallory.NodeId, signal.Target, forged);
        }
    }

    [Fact(Timeout = 90_000)]
    public async Task Killing_the_rendezvous_leaves_peer_connections_up_and_nodes_re_register_when_it_returns()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = await RendezvousServerTests.StartServerAsync(ct);
        var port = server.LocalEndPoint.Port;
        var rendezvous = EndpointOf(server);
        var alice = await StartNodeAsync(_aliceKey, rendezvous, listen: true, ct);
        var bob = await StartNodeAsync(_bobKey, rendezvous, listen: false, ct);
        var accepting = bob.AcceptAsync(ct);
        await using var outbound = await alice.ConnectWithAsync(bob.Address, ReverseStrategy.StrategyName, ct);
        await using var inbound = await accepting;

        var aliceBack = NextRegistrationAsync(alice.Rendezvous[0]);
        var bobBack = NextRegistrationAsync(bob.Rendezvous[0]);
        await server.DisposeAsync(); // the rendezvous dies mid-session
        await ExchangeAsync(outbound, inbound, ct); // the peers do not need it any more

        await using var restarted = await RendezvousServerTests.StartServerAsync(ct, o => o with { Listen = new IPEndPoint(IPAddress.Loopback, port) });
        await aliceBack.WaitAsync(ct);
        await bobBack.WaitAsync(ct);
        Assert.Equal(2, alice.Rendezvous[0].Registrations);
        Assert.Equal(2, bob.Rendezvous[0].Registrations);
        Assert.True(restarted.IsRegistered(alice.NodeId) && restarted.IsRegistered(bob.NodeId));
        await ExchangeAsync(outbound, inbound, ct);

        var again = bob.AcceptAsync(ct); // and signaling works again
        await using var second = await alice.ConnectWithAsync(bob.Address, ReverseStrategy.StrategyName, ct);
        await using var secondInbound = await again;
        Assert.Equal("reverse", second.Strategy);
    }

    private static Task NextRegistrationAsync(RendezvousClient client)
    {
        var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Registered += _ => registered.TrySetResult();
        return registered.Task;
    }

    private static async Task ExchangeAsync(PeerConnection a, PeerConnection b, CancellationToken ct)
    {
        var ab = new MessageStream(a.Stream);
        var ba = new MessageStream(b.Stream);
        await ab.WriteAsync("ping"u8.ToArray(), ct);
        Assert.Equal("ping"u8.ToArray(), await ba.ReadAsync(ct));
        await ba.WriteAsync("pong"u8.ToArray(), ct);
        Assert.Equal("pong"u8.ToArray(), await ab.ReadAsync(ct));
    }

    private static async Task AssertNothingAcceptedAsync(BurrowNode node)
    {
        using var brief = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await node.AcceptAsync(brief.Token));
    }
}
