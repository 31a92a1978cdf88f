using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Burrow.Addressing;
using Burrow.Connect.Punch;
using Burrow.Identity;
using Burrow.Tests.Transport;
using Burrow.Transport;

namespace Burrow.Tests.Connect;

/// <summary>The I/O half of a hole punch, on loopback: two ports connect to each other at an agreed instant.</summary>
[Collection(typeof(PunchCollection))]
public class PunchDialerTests
{
    private static readonly TimeSpan Interval = PunchTiming.DefaultRetryInterval;

    private static long In(TimeSpan span) => Stopwatch.GetTimestamp() + (long)(span.TotalSeconds * Stopwatch.Frequency);

    [Fact(Timeout = 60_000)]
    public async Task Both_sides_punching_at_one_instant_get_the_same_connection_and_authenticate_with_agreed_roles()
    {
        var ct = TestContext.Current.CancellationToken;
        using var scheduler = new PunchScheduler();
        using var alice = NodeIdentity.Create();
        using var bob = NodeIdentity.Create();
        using var aliceTls = new TlsCredentials(alice, TimeProvider.System);
        using var bobTls = new TlsCredentials(bob, TimeProvider.System);
        for (var round = 0; round < 10; round++)
        {
            var (a, b) = LoopbackPorts.Pair();
            var timing = new PunchTiming(In(TimeSpan.FromMilliseconds(50)), TimeSpan.FromSeconds(3), Interval);
            var aliceSide = PunchDialer.PunchAsync(scheduler, a, [b], timing, ct);
            var bobSide = PunchDialer.PunchAsync(scheduler, b, [a], timing, ct);
            using var aliceSocket = await aliceSide ?? throw new Xunit.Sdk.XunitException($"round {round}: alice got no connection");
            using var bobSocket = await bobSide ?? throw new Xunit.Sdk.XunitException($"round {round}: bob got no connection");
            Assert.Equal(aliceSocket.LocalEndPoint, bobSocket.RemoteEndPoint);
            Assert.Equal(bobSocket.LocalEndPoint, aliceSocket.RemoteEndPoint);

            await using var tls = await TlsOverSockets.AuthenticateAsync(
                aliceSocket, aliceTls, TlsRoles.ForSimultaneousOpen(initiated: true),
                bobSocket, bobTls, TlsRoles.ForSimultaneousOpen(initiated: false), bobChecks: true, ct);
            Assert.Equal(bob.NodeId, tls.AliceSees);
            Assert.Equal(alice.NodeId, tls.BobSees);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_peer_that_starts_late_is_still_met_within_the_window()
    {
        var ct = TestContext.Current.CancellationToken;
        using var scheduler = new PunchScheduler();
        var (a, b) = LoopbackPorts.Pair();
        // Alice's first SYNs find nothing on Bob's port and are reset; she keeps trying at every slot.
        var aliceSide = PunchDialer.PunchAsync(scheduler, a, [b], new PunchTiming(In(TimeSpan.FromMilliseconds(20)), TimeSpan.FromSeconds(3), Interval), ct);
        await Task.Delay(300, ct);
        Assert.False(aliceSide.IsCompleted);
        var bobSide = PunchDialer.PunchAsync(scheduler, b, [a], new PunchTiming(In(TimeSpan.FromMilliseconds(20)), TimeSpan.FromSeconds(3), Interval), ct);
        using var aliceSocket = await aliceSide;
        using var bobSocket = await bobSide;
        Assert.NotNull(aliceSocket);
        Assert.NotNull(bobSocket);
        Assert.Equal(aliceSocket.LocalEndPoint, bobSocket.RemoteEndPoint);
    }

    [Fact(Timeout = 60_000)]
    public async Task Ports_held_on_both_families_punch_over_ipv6_when_aimed_there()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.SkipUnless(Socket.OSSupportsIPv6, "this machine has no IPv6");
        using var scheduler = new PunchScheduler();
        using var alicePort = PunchPort.Reserve(ipv6: true);
        using var bobPort = PunchPort.Reserve(ipv6: true);
        Assert.True(alicePort.IPv6 && bobPort.IPv6);
        // Each side's punch port is its IPv4 one; aimed at an IPv6 endpoint, it punches from the same number on IPv6.
        var timing = new PunchTiming(In(TimeSpan.FromMilliseconds(50)), TimeSpan.FromSeconds(3), Interval);
        var aliceSide = PunchDialer.PunchAsync(scheduler, new IPEndPoint(IPAddress.Any, alicePort.Number), [new IPEndPoint(IPAddress.IPv6Loopback, bobPort.Number)], timing, ct);
        var bobSide = PunchDialer.PunchAsync(scheduler, new IPEndPoint(IPAddress.Any, bobPort.Number), [new IPEndPoint(IPAddress.IPv6Loopback, alicePort.Number)], timing, ct);
        using var aliceSocket = await aliceSide ?? throw new Xunit.Sdk.XunitException("alice got no connection");
        using var bobSocket = await bobSide ?? throw new Xunit.Sdk.XunitException("bob got no connection");
        Assert.Equal(AddressFamily.InterNetworkV6, aliceSocket.AddressFamily);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, alicePort.Number), bobSocket.RemoteEndPoint);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, bobPort.Number), aliceSocket.RemoteEndPoint);
    }

    [Fact]
    public void A_port_held_on_ipv4_only_is_not_held_on_ipv6_and_each_reservation_is_a_new_one()
    {
        using var first = PunchPort.Reserve(ipv6: false);
        using var second = PunchPort.Reserve(ipv6: false);
        Assert.False(first.IPv6);
        Assert.NotEqual(first.Number, second.Number);
    }

    [Fact(Timeout = 30_000)]
    public async Task Nobody_at_the_other_end_gives_no_connection_when_the_window_closes()
    {
        var ct = TestContext.Current.CancellationToken;
        using var scheduler = new PunchScheduler();
        var (a, b) = LoopbackPorts.Pair();
        var clock = Stopwatch.StartNew();
        var socket = await PunchDialer.PunchAsync(scheduler, a, [b],
            new PunchTiming(In(TimeSpan.FromMilliseconds(10)), TimeSpan.FromMilliseconds(300), Interval), ct);
        Assert.Null(socket);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_punch_aimed_at_its_own_port_takes_no_connection_to_itself()
    {
        // Linux connects a socket to itself when it dials its own address and port (TCP self-connect): that is
        // no peer, and the TLS handshake on it would wait for an answer that never comes.
        var ct = TestContext.Current.CancellationToken;
        using var scheduler = new PunchScheduler();
        var own = LoopbackPorts.Distinct(1)[0];
        var socket = await PunchDialer.PunchAsync(scheduler, own, [own],
            new PunchTiming(In(TimeSpan.FromMilliseconds(10)), TimeSpan.FromMilliseconds(300), Interval), ct);
        Assert.Null(socket);
    }

    [Theory]
    [InlineData(NatMapping.PortPreserving, 0, 40000, 0, new[] { 40000 })]
    [InlineData(NatMapping.Open, 0, 40000, 51000, new[] { 40000 })]
    [InlineData(NatMapping.EndpointIndependent, 0, 40000, 51000, new[] { 51000 })]
    [InlineData(NatMapping.EndpointIndependent, 0, 40000, 0, new int[0])]
    [InlineData(NatMapping.Sequential, 1, 40000, 51000, new[] { 51004 })]
    [InlineData(NatMapping.Sequential, 2, 40000, 65526, new[] { 65534 })]
    [InlineData(NatMapping.Sequential, 2, 40000, 65532, new int[0])]
    [InlineData(NatMapping.Sequential, -3, 40000, 51000, new[] { 50988 })]
    [InlineData(NatMapping.Random, 0, 40000, 51000, new int[0])]
    [InlineData(NatMapping.Unknown, 0, 40000, 51000, new[] { 40000, 51000 })]
    [InlineData(NatMapping.Unknown, 0, 40000, 0, new[] { 40000 })]
    public void Port_prediction_follows_the_nat_profile(NatMapping mapping, int delta, int localPort, int observed, int[] expected) =>
        Assert.Equal(expected, PortPrediction.Predict(new NatBehavior(mapping, NatFiltering.Drops, delta), localPort, observed));

    [Fact]
    public void Birthday_ports_are_distinct_in_range_and_the_same_for_the_same_seed()
    {
        var ports = PortPrediction.BirthdayPorts(1024, seed: 42);
        Assert.Equal(1024, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(p, 1024, 65535));
        Assert.Equal(ports, PortPrediction.BirthdayPorts(1024, seed: 42));
        Assert.NotEqual(ports, PortPrediction.BirthdayPorts(1024, seed: 43));
    }
}

public class PunchRoleTests
{
    private static readonly NodeIdentity Key = NodeIdentity.Create();

    private static NodeAddress Behind(NatMapping mapping, string publicIp = "198.18.1.1", int delta = 0) => NodeAddress.Issue(Key, new NodeAddressContent
    {
        Endpoints = [new AddressEndpoint { LanAddress = IPAddress.Parse("192.168.1.10"), PublicAddress = IPAddress.Parse(publicIp), ListenPort = 5000, Nat = new NatBehavior(mapping, NatFiltering.Drops, delta) }],
        IssuedAt = DateTimeOffset.UtcNow,
    });

    [Theory]
    [InlineData(NatMapping.Random, NatMapping.PortPreserving, PunchRole.Hard)]
    [InlineData(NatMapping.PortPreserving, NatMapping.Random, PunchRole.Easy)]
    [InlineData(NatMapping.Random, NatMapping.Unknown, PunchRole.Hard)]
    [InlineData(NatMapping.PortPreserving, NatMapping.Sequential, PunchRole.Standard)]
    [InlineData(NatMapping.Sequential, NatMapping.PortPreserving, PunchRole.Sequential)]
    [InlineData(NatMapping.Sequential, NatMapping.Sequential, PunchRole.Sequential)]
    [InlineData(NatMapping.Random, NatMapping.Random, PunchRole.Standard)]
    [InlineData(NatMapping.Unknown, NatMapping.Unknown, PunchRole.Standard)]
    public void The_birthday_technique_is_used_when_exactly_one_side_maps_at_random(NatMapping local, NatMapping remote, PunchRole role) =>
        Assert.Equal(role, PunchPlanner.RoleOf(Behind(local), Behind(remote)));

    [Fact]
    public void A_random_nat_facing_a_full_cone_needs_no_birthday()
    {
        NodeAddress With(NatMapping mapping, NatFiltering filtering) => NodeAddress.Issue(Key, new NodeAddressContent
        {
            Endpoints = [new AddressEndpoint { LanAddress = IPAddress.Parse("192.168.1.10"), PublicAddress = IPAddress.Parse("198.18.1.1"), ListenPort = 5000, Nat = new NatBehavior(mapping, filtering) }],
            IssuedAt = DateTimeOffset.UtcNow,
        });
        var (random, cone) = (With(NatMapping.Random, NatFiltering.Drops), With(NatMapping.PortPreserving, NatFiltering.Open));
        Assert.Equal(PunchRole.Standard, PunchPlanner.RoleOf(random, cone));
        Assert.Equal(PunchRole.Standard, PunchPlanner.RoleOf(cone, random));
        // A random NAT that lets anyone in changes nothing: its ports still cannot be guessed.
        var (openRandom, drops) = (With(NatMapping.Random, NatFiltering.Open), With(NatMapping.PortPreserving, NatFiltering.Drops));
        Assert.Equal(PunchRole.Hard, PunchPlanner.RoleOf(openRandom, drops));
        Assert.Equal(PunchRole.Easy, PunchPlanner.RoleOf(drops, openRandom));
    }

    [Fact]
    public void A_random_nat_still_offers_its_public_address_and_each_role_keeps_the_targets_it_can_use()
    {
        var hard = Behind(NatMapping.Random, "198.18.1.5");
        var offered = PunchPlanner.Candidates(hard, 40000, null);
        Assert.Equal(["198.18.1.5:40000", "192.168.1.10:40000"], offered.Select(e => e.ToString()));
        Assert.Equal(["198.18.1.5:40000"], PunchPlanner.Targets(PunchRole.Easy, hard, offered).Select(e => e.ToString()));
        var easy = Behind(NatMapping.PortPreserving, "198.18.1.6");
        var easyOffer = PunchPlanner.Candidates(easy, 40001, null);
        Assert.Equal(["198.18.1.6:40001"], PunchPlanner.Targets(PunchRole.Hard, easy, easyOffer).Select(e => e.ToString()));
        Assert.Equal(easyOffer, PunchPlanner.Targets(PunchRole.Standard, easy, easyOffer));
    }

    private static NodeAddress WithIPv6(NatMapping mapping, string publicIp, string ipv6) => NodeAddress.Issue(Key, new NodeAddressContent
    {
        Endpoints =
        [
            new AddressEndpoint { LanAddress = IPAddress.Parse("192.168.1.10"), PublicAddress = IPAddress.Parse(publicIp), ListenPort = 5000, Nat = new NatBehavior(mapping, NatFiltering.Drops) },
            new AddressEndpoint { LanAddress = IPAddress.Parse(ipv6), PublicAddress = IPAddress.Parse(ipv6), ListenPort = 5000, Nat = new NatBehavior(NatMapping.Open, NatFiltering.Drops) },
            new AddressEndpoint { LanAddress = IPAddress.Parse("fd00::10"), ListenPort = 5000 }, // unique local: not offered
        ],
        IssuedAt = DateTimeOffset.UtcNow,
    });

    [Fact]
    public void Over_ipv6_the_punch_port_is_offered_first_and_two_offers_with_ipv6_make_a_standard_punch()
    {
        var hard = WithIPv6(NatMapping.Random, "198.18.1.5", "2001:2:0:5::10");
        var easy = WithIPv6(NatMapping.PortPreserving, "198.18.1.6", "2001:2:0:6::10");
        var hardOffer = PunchPlanner.Candidates(hard, 40000, null, ipv6: true);
        Assert.Equal(["[2001:2:0:5::10]:40000", "198.18.1.5:40000", "192.168.1.10:40000"], hardOffer.Select(e => e.ToString()));
        // Without the port held on IPv6, nothing IPv6 is offered.
        Assert.Equal(["198.18.1.5:40000", "192.168.1.10:40000"], PunchPlanner.Candidates(hard, 40000, null).Select(e => e.ToString()));
        var easyOffer = PunchPlanner.Candidates(easy, 40001, null, ipv6: true);
        // Both offered IPv6: nothing to guess, whatever the IPv4 NATs do; both sides agree from the two offers.
        Assert.Equal(PunchRole.Standard, PunchPlanner.RoleOf(hard, easy, hardOffer, easyOffer));
        Assert.Equal(PunchRole.Standard, PunchPlanner.RoleOf(easy, hard, easyOffer, hardOffer));
        // One offer without IPv6 (its port was taken on IPv6): the IPv4 roles, the birthday technique here.
        var easyV4Only = PunchPlanner.Candidates(easy, 40001, null);
        Assert.Equal(PunchRole.Hard, PunchPlanner.RoleOf(hard, easy, hardOffer, easyV4Only));
        Assert.Equal(PunchRole.Easy, PunchPlanner.RoleOf(easy, hard, easyV4Only, hardOffer));
        // The plans: with both offers on IPv6, aimed at the peer's IPv6 endpoint too; a side whose port is not
        // held on IPv6 never aims there (it could not bind there).
        Assert.Contains(PunchPlan.For(hard, easy, 40000, hardOffer, easyOffer, 0).Targets, t => t.AddressFamily == AddressFamily.InterNetworkV6);
        var v4Only = PunchPlan.For(easy, hard, 40001, easyV4Only, hardOffer, 0);
        Assert.Equal(PunchRole.Easy, v4Only.Role);
        Assert.Equal(["198.18.1.5:40000"], v4Only.Targets.Select(e => e.ToString()));
    }

    [Fact]
    public void The_instant_is_when_the_answer_reaches_the_dialer_plus_the_margin()
    {
        var now = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
        var (dialer, own) = (TimeSpan.FromMilliseconds(80), TimeSpan.FromMilliseconds(40));
        Assert.Equal(now + TimeSpan.FromMilliseconds(60) + PunchPlanner.Margin, PunchPlanner.Instant(now, dialer, own));
        // A dialer that did not measure its round trip is taken to be as far away as the answering node, not next door.
        Assert.Equal(now + own + PunchPlanner.Margin, PunchPlanner.Instant(now, TimeSpan.Zero, own));
    }

    private sealed class FakeObserver(int port) : IMappingObserver
    {
        public List<IPEndPoint> Asked { get; } = [];

        public Task<IPEndPoint?> ObserveAsync(IPEndPoint local, CancellationToken cancellationToken)
        {
            Asked.Add(local);
            return Task.FromResult<IPEndPoint?>(port == 0 ? null : new IPEndPoint(IPAddress.Parse("198.18.1.1"), port));
        }
    }

    [Fact]
    public async Task A_sequential_nat_offers_the_ports_after_the_one_it_gave_just_now()
    {
        var ct = TestContext.Current.CancellationToken;
        var sequential = Behind(NatMapping.Sequential, delta: 1);
        var observer = new FakeObserver(30000);
        var last = await PunchSession.ObserveMappedPortAsync(observer, sequential, 40000, ct);
        Assert.Equal(30000, last);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 40000), Assert.Single(observer.Asked)); // from the punch port itself
        // The window's last port: the fourth flow opened from here gets it unless others took some meanwhile.
        Assert.Equal(["198.18.1.1:30004", "192.168.1.10:40000"],
            PunchPlanner.Candidates(sequential, 40000, null, last).Select(e => e.ToString()));
        // Nobody answered: the public address is still offered (at the punch port), as for an unknown NAT.
        Assert.Equal(0, await PunchSession.ObserveMappedPortAsync(new FakeObserver(0), sequential, 40000, ct));
        // A port-preserving NAT needs no look, and no observer is asked.
        var preserving = new FakeObserver(30000);
        Assert.Equal(0, await PunchSession.ObserveMappedPortAsync(preserving, Behind(NatMapping.PortPreserving), 40000, ct));
        Assert.Empty(preserving.Asked);
    }

    [Fact]
    public void In_a_birthday_punch_the_hard_side_sprays_first_unless_only_the_easy_side_resets()
    {
        NodeAddress With(NatMapping mapping, NatFiltering filtering, string ip) => NodeAddress.Issue(Key, new NodeAddressContent
        {
            Endpoints = [new AddressEndpoint { LanAddress = IPAddress.Parse("192.168.1.10"), PublicAddress = IPAddress.Parse(ip), ListenPort = 5000, Nat = new NatBehavior(mapping, filtering) }],
            IssuedAt = DateTimeOffset.UtcNow,
        });
        var (hardDrops, hardResets) = (With(NatMapping.Random, NatFiltering.Drops, "198.18.1.1"), With(NatMapping.Random, NatFiltering.Resets, "198.18.1.1"));
        var (easyDrops, easyResets) = (With(NatMapping.PortPreserving, NatFiltering.Drops, "198.18.1.2"), With(NatMapping.PortPreserving, NatFiltering.Resets, "198.18.1.2"));
        Assert.Equal((TimeSpan.Zero, PunchPlanner.BirthdayLag), PunchPlanner.BirthdayStarts(hardDrops, easyDrops));
        Assert.Equal((TimeSpan.Zero, PunchPlanner.BirthdayLag), PunchPlanner.BirthdayStarts(hardResets, easyDrops));
        Assert.Equal((TimeSpan.Zero, PunchPlanner.BirthdayLag), PunchPlanner.BirthdayStarts(hardResets, easyResets)); // nothing works; no matter
        var (hard, easy) = PunchPlanner.BirthdayStarts(hardDrops, easyResets);
        Assert.Equal(TimeSpan.Zero, easy);
        Assert.True(hard > BirthdayDialer.SprayDuration(BirthdayDialer.EasyGuesses), "the hard side waits until every guess has left");
        // Each side finds its own start from the same two addresses.
        Assert.Equal(hard, PunchPlanner.LagOf(PunchRole.Hard, hardDrops, easyResets));
        Assert.Equal(easy, PunchPlanner.LagOf(PunchRole.Easy, easyResets, hardDrops));
        Assert.Equal(TimeSpan.Zero, PunchPlanner.LagOf(PunchRole.Standard, easyDrops, easyDrops));
    }

    [Fact(Timeout = 30_000)]
    public async Task The_answering_side_keeps_the_connection_its_peer_spoke_on()
    {
        var ct = TestContext.Current.CancellationToken;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4);
        async Task<(Socket Near, Socket Far)> PairAsync()
        {
            var far = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await far.ConnectAsync(listener.LocalEndPoint!, ct);
            return (await listener.AcceptAsync(ct), far);
        }
        var (quietNear, quietFar) = await PairAsync();
        var (spokenNear, spokenFar) = await PairAsync();
        using var _ = quietFar;
        using var __ = spokenFar;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // Both connected (two hits of a birthday punch); the peer kept the second and speaks on it.
        var candidates = new List<Task<Socket?>>
        {
            PunchDialer.Picked(Task.FromResult<Socket?>(quietNear), PunchPick.FirstToSpeak, stop.Token),
            PunchDialer.Picked(Task.FromResult<Socket?>(spokenNear), PunchPick.FirstToSpeak, stop.Token),
        };
        var picking = PunchDialer.FirstConnectedAsync(candidates, Stopwatch.GetTimestamp() + 10 * Stopwatch.Frequency, ct);
        await Task.Delay(50, ct);
        Assert.False(picking.IsCompleted); // connected is not enough
        await spokenFar.SendAsync("\u0016"u8.ToArray(), ct);
        var winner = await picking;
        Assert.Same(spokenNear, winner);
        var buffer = new byte[1];
        Assert.Equal(1, await winner!.ReceiveAsync(buffer, ct)); // peeked, not consumed: the TLS handshake reads it
        await stop.CancelAsync();
        PunchDialer.CloseLosers(candidates, winner);
        winner.Dispose();
        // The one it did not keep is closed: its peer sees the end of the stream.
        Assert.Equal(0, await quietFar.ReceiveAsync(buffer, ct));
    }

    [Fact(Timeout = 30_000)]
    public async Task The_answering_side_follows_every_connection_its_listener_accepts_and_keeps_the_one_spoken_on()
    {
        var ct = TestContext.Current.CancellationToken;
        using var listener = PunchDialer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(BirthdayDialer.HardSockets);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var picking = PunchDialer.Accepted(listener, [IPAddress.Loopback], PunchPick.FirstToSpeak, stop.Token);
        // Behind a full-cone NAT every SYN of a birthday spray comes in: three connections, and the peer keeps the last.
        var far = new List<Socket>();
        for (var i = 0; i < 3; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(listener.LocalEndPoint!, ct);
            far.Add(socket);
        }
        await Task.Delay(50, ct);
        Assert.False(picking.IsCompleted); // accepted is not enough
        await far[2].SendAsync("\u0016"u8.ToArray(), ct);
        using var winner = await picking;
        Assert.NotNull(winner);
        Assert.Equal(far[2].LocalEndPoint, winner.RemoteEndPoint);
        await stop.CancelAsync();
        var buffer = new byte[1];
        // The two it did not keep are closed: their peers see the end of the stream.
        Assert.Equal(0, await far[0].ReceiveAsync(buffer, ct));
        Assert.Equal(0, await far[1].ReceiveAsync(buffer, ct));
        far.ForEach(s => s.Dispose());
    }

    [Fact(Timeout = 30_000)]
    public async Task A_socket_supply_makes_its_sockets_ahead_and_closes_the_ones_not_taken()
    {
        var ct = TestContext.Current.CancellationToken;
        var made = new System.Collections.Concurrent.ConcurrentBag<Socket>();
        Socket Create()
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            made.Add(socket);
            return socket;
        }
        var supply = new SocketSupply(8, Create);
        while (made.Count < 8)
        {
            await Task.Delay(5, ct); // made on the thread pool, before anyone asks
        }
        var taken = Enumerable.Range(0, 3).Select(_ => supply.Take()).ToList();
        Assert.Equal(8, made.Count);
        supply.Dispose();
        Assert.Equal(5, made.Count(s => s.SafeHandle.IsClosed)); // the five not taken
        Assert.All(taken, s => Assert.False(s.SafeHandle.IsClosed));
        taken.ForEach(s => s.Dispose());
        Assert.Throws<ObjectDisposedException>(() => supply.Take());
    }
}
