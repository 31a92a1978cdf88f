using System.Net;
using Burrow.Addressing;
using Burrow.Connect;
using Burrow.Identity;

namespace Burrow.Tests.Connect;

public class PlanningTests
{
    private static readonly NodeIdentity Key = NodeIdentity.Create();

    private static NodeAddress With(params AddressEndpoint[] endpoints) =>
        NodeAddress.Issue(Key, new NodeAddressContent { Endpoints = endpoints, IssuedAt = DateTimeOffset.UtcNow });

    [Fact]
    public void Dial_targets_put_public_before_lan_and_interleave_families_ipv6_first()
    {
        var address = With(
            new AddressEndpoint { LanAddress = IPAddress.Parse("192.168.1.2"), PublicAddress = IPAddress.Parse("198.18.0.9"), ListenPort = 5000, MappedPort = 6000, MappingMethod = MappingMethod.Pcp },
            new AddressEndpoint { LanAddress = IPAddress.Parse("2001:db8::5"), PublicAddress = IPAddress.Parse("2001:db8::5"), ListenPort = 5000 },
            new AddressEndpoint { LanAddress = IPAddress.Parse("10.0.0.7"), ListenPort = 5000 });
        var targets = DialTargets.From(address).Select(e => e.ToString()).ToList();
        Assert.Equal(["[2001:db8::5]:5000", "198.18.0.9:6000", "192.168.1.2:5000", "10.0.0.7:5000"], targets);
    }

    [Fact]
    public void A_translated_public_address_without_a_mapping_is_not_dialed()
    {
        var address = With(new AddressEndpoint
        {
            LanAddress = IPAddress.Parse("192.168.1.2"),
            PublicAddress = IPAddress.Parse("198.18.0.9"),
            ListenPort = 5000,
            Nat = new NatBehavior(NatMapping.Random, NatFiltering.Drops),
        });
        Assert.Equal(["192.168.1.2:5000"], DialTargets.From(address).Select(e => e.ToString()));
    }

    [Fact]
    public void Addresses_that_are_not_hosts_are_never_dialed()
    {
        var address = With(
            new AddressEndpoint { LanAddress = IPAddress.Any, ListenPort = 1 },
            new AddressEndpoint { LanAddress = IPAddress.Parse("224.0.0.1"), ListenPort = 1 },
            new AddressEndpoint { LanAddress = IPAddress.Broadcast, ListenPort = 1 },
            new AddressEndpoint { LanAddress = IPAddress.Parse("ff02::1"), ListenPort = 1 },
            new AddressEndpoint { LanAddress = IPAddress.Parse("10.0.0.1"), ListenPort = 0 });
        Assert.Empty(DialTargets.From(address));
    }

    private static readonly HashSet<string> All = ["direct", "reverse", "punch", "relay"];
    private static readonly SignalEndpoint Rv = new("198.18.0.10", 7000);

    private static NodeAddress Node(AddressEndpoint[] endpoints, bool rendezvous = false, bool relay = false) =>
        NodeAddress.Issue(Key, new NodeAddressContent
        {
            Endpoints = endpoints,
            Rendezvous = rendezvous ? [Rv] : [],
            Relays = relay ? [Rv] : [],
            IssuedAt = DateTimeOffset.UtcNow,
        });

    private static AddressEndpoint Behind(string lan, string pub, NatMapping mapping, int mapped = 0) => new()
    {
        LanAddress = IPAddress.Parse(lan),
        PublicAddress = IPAddress.Parse(pub),
        ListenPort = 5000,
        MappedPort = mapped,
        MappingMethod = mapped != 0 ? MappingMethod.Pcp : MappingMethod.None,
        Nat = new NatBehavior(mapping, NatFiltering.Drops),
    };

    private static AddressEndpoint Public(string ip) => new()
    {
        LanAddress = IPAddress.Parse(ip), PublicAddress = IPAddress.Parse(ip), ListenPort = 5000, Nat = new NatBehavior(NatMapping.Open, NatFiltering.Open),
    };

    private static AddressEndpoint Firewalled(string ip) => Public(ip) with { Nat = new NatBehavior(NatMapping.Open, NatFiltering.Drops) };

    private static string Describe(IReadOnlyList<PlanStep> plan) =>
        string.Join(" ", plan.Select(s => $"{s.Strategy}@{s.StartAfter.TotalMilliseconds}"));

    [Fact]
    public void Plan_is_direct_when_there_is_an_endpoint_and_empty_otherwise()
    {
        var available = new HashSet<string> { DirectStrategy.StrategyName };
        var reachable = With(new AddressEndpoint { LanAddress = IPAddress.Loopback, ListenPort = 1 });
        Assert.Equal([new PlanStep("direct", TimeSpan.Zero)], ConnectPlanner.Plan(null, reachable, available));
        Assert.Empty(ConnectPlanner.Plan(null, With(), available));
        Assert.Empty(ConnectPlanner.Plan(null, reachable, new HashSet<string>()));
    }

    [Theory]
    // Remote behind a NAT with a PCP mapping, signalable: direct first, then the rest close behind.
    [InlineData("public", "mapped", true, false, "direct@0 reverse@250 punch@500 relay@2500")]
    // Nothing to dial at the remote, I am public: reverse first.
    [InlineData("public", "nat", true, false, "reverse@0 punch@250 relay@2250")]
    // Both behind NATs, nothing to dial: punch, then relay.
    [InlineData("nat", "nat", true, false, "punch@0 relay@2000")]
    // Both random-port NATs: no punch, relay only.
    [InlineData("random", "random", true, false, "relay@0")]
    // One random side is still punchable.
    [InlineData("random", "nat", true, false, "punch@0 relay@2000")]
    // A random side facing a sequential one is not (each of the sequential side's guesses gets a new port).
    [InlineData("random", "sequential", true, false, "relay@0")]
    [InlineData("sequential", "random", true, false, "relay@0")]
    // The same, but both also have a global IPv6 address behind a firewall: over IPv6 there is nothing to predict
    // (and the local IPv6 endpoint is public on paper, so the peer is asked to dial back too, as between firewalls).
    [InlineData("random6", "random6", true, false, "reverse@0 punch@0 relay@2000")]
    [InlineData("sequential6", "random6", true, false, "reverse@0 punch@0 relay@2000")]
    // Only one of them has IPv6: still the relay only.
    [InlineData("random", "random6", true, false, "relay@0")]
    // Not signalable and nothing to dial: no plan.
    [InlineData("nat", "nat", false, false, "")]
    // Not signalable but names a relay.
    [InlineData("nat", "nat", false, true, "relay@0")]
    // I do not know my own address (not listening): no reverse or punch.
    [InlineData("none", "nat", true, false, "relay@0")]
    // The remote says nothing of its network (not listening, not probed): reverse is worth a try, but this
    // node's NAT drops unsolicited SYNs, so the punch does not wait for it.
    [InlineData("nat", "unknown", true, false, "reverse@0 punch@0 relay@2000")]
    // Both public but firewalled (drop unsolicited SYNs): direct and reverse are tried, neither holds the punch back.
    [InlineData("firewall", "firewall", true, false, "direct@0 reverse@0 punch@0 relay@2000")]
    [InlineData("nat", "firewall", true, false, "direct@0 punch@0 relay@2000")]
    // A firewalled node dialing an open one: direct is expected to work and keeps its head start.
    [InlineData("firewall", "public", true, false, "direct@0 reverse@250 punch@250 relay@2250")]
    // Same NAT: LAN endpoints are dialed (direct), and reverse works over the LAN.
    [InlineData("samenat", "nat", true, false, "direct@0 reverse@250 punch@500 relay@2500")]
    public void Plan_follows_from_the_two_addresses(string local, string remote, bool signalable, bool relay, string expected)
    {
        var remoteEndpoints = remote switch
        {
            "mapped" => new[] { Behind("192.168.1.10", "198.18.1.1", NatMapping.PortPreserving, mapped: 6000) },
            "random" => [Behind("192.168.1.10", "198.18.1.1", NatMapping.Random)],
            "sequential" => [Behind("192.168.1.10", "198.18.1.1", NatMapping.Sequential)],
            "random6" => [Behind("192.168.1.10", "198.18.1.1", NatMapping.Random), Firewalled("2001:2:0:1::10")],
            "unknown" => [],
            "firewall" => [Firewalled("198.18.1.1")],
            "public" => [Public("198.18.1.1")],
            _ => [Behind("192.168.1.10", "198.18.1.1", NatMapping.PortPreserving)],
        };
        NodeAddress? localAddress = local switch
        {
            "public" => Node([Public("198.18.2.1")]),
            "firewall" => Node([Firewalled("198.18.2.1")]),
            "random" => Node([Behind("192.168.2.10", "198.18.1.2", NatMapping.Random)]),
            "sequential" => Node([Behind("192.168.2.10", "198.18.1.2", NatMapping.Sequential)]),
            "random6" => Node([Behind("192.168.2.10", "198.18.1.2", NatMapping.Random), Firewalled("2001:2:0:2::10")]),
            "sequential6" => Node([Behind("192.168.2.10", "198.18.1.2", NatMapping.Sequential), Firewalled("2001:2:0:2::10")]),
            "samenat" => Node([Behind("192.168.1.11", "198.18.1.1", NatMapping.PortPreserving)]),
            "none" => null,
            _ => Node([Behind("192.168.2.10", "198.18.1.2", NatMapping.PortPreserving)]),
        };
        var remoteAddress = Node(remoteEndpoints, signalable, relay);
        // A remote behind a NAT offers its LAN endpoint; only a peer on that LAN should count on it, but
        // dialing it costs little, so "direct" is planned whenever there is an endpoint at all — except here,
        // where these rows are about the strategies behind it: drop the LAN endpoint unless on the same network.
        if (local != "samenat" && remote is not ("mapped" or "firewall" or "public"))
        {
            remoteAddress = Node([.. remoteEndpoints.Select(e => e with { ListenPort = 0 })], signalable, relay);
        }
        Assert.Equal(expected, Describe(ConnectPlanner.Plan(localAddress, remoteAddress, All)));
    }

    [Fact]
    public void A_public_ipv6_endpoint_of_unknown_filtering_is_taken_to_be_firewalled_unlike_an_ipv4_one()
    {
        AddressEndpoint Global(string ip, NatFiltering filtering) => Public(ip) with { Nat = new NatBehavior(NatMapping.Open, filtering) };
        Assert.False(NetworkRelation.AcceptsUnsolicited(Node([Global("2001:2:0:1::10", NatFiltering.Unknown)])));
        Assert.True(NetworkRelation.AcceptsUnsolicited(Node([Global("2001:2:0:1::10", NatFiltering.Open)])));
        Assert.True(NetworkRelation.AcceptsUnsolicited(Node([Global("198.18.2.1", NatFiltering.Unknown)])));
        Assert.False(NetworkRelation.AcceptsUnsolicited(Node([Global("198.18.2.1", NatFiltering.Drops)])));
    }

    [Fact]
    public void An_upgrade_plan_keeps_only_the_ways_where_this_node_is_the_tls_client()
    {
        var mapped = Node([Behind("192.168.1.10", "198.18.1.1", NatMapping.PortPreserving, mapped: 6000)], rendezvous: true, relay: true);
        var behind = Node([Behind("192.168.1.10", "198.18.1.1", NatMapping.PortPreserving) with { ListenPort = 0 }], rendezvous: true, relay: true);
        var random = Node([Behind("192.168.1.10", "198.18.1.1", NatMapping.Random) with { ListenPort = 0 }], rendezvous: true, relay: true);
        var publicNode = Node([Public("198.18.2.1")]);
        var natNode = Node([Behind("192.168.2.10", "198.18.1.2", NatMapping.PortPreserving)]);
        var randomNode = Node([Behind("192.168.2.10", "198.18.1.2", NatMapping.Random)]);
        Assert.Equal("direct@0 punch@250", Describe(ConnectPlanner.UpgradePlan(publicNode, mapped, All)));
        // The full plan asks the peer to dial back first; an upgrade cannot (the peer would be the TLS client).
        Assert.Equal("reverse@0 punch@250 relay@2250", Describe(ConnectPlanner.Plan(publicNode, behind, All)));
        Assert.Equal("punch@0", Describe(ConnectPlanner.UpgradePlan(publicNode, behind, All)));
        Assert.Equal("punch@0", Describe(ConnectPlanner.UpgradePlan(natNode, behind, All)));
        Assert.Empty(ConnectPlanner.UpgradePlan(randomNode, random, All));
        Assert.Empty(ConnectPlanner.UpgradePlan(natNode, behind, new HashSet<string> { "reverse", "relay" }));
    }

    [Fact]
    public void Every_plan_holds_its_invariants_over_all_combinations()
    {
        var endpointKinds = new AddressEndpoint?[]
        {
            null,
            Behind("192.168.1.10", "198.18.1.1", NatMapping.PortPreserving),
            Behind("192.168.1.10", "198.18.1.1", NatMapping.Random),
            Behind("192.168.1.10", "198.18.1.1", NatMapping.Sequential) with { ListenPort = 0 },
            Behind("192.168.1.10", "198.18.1.1", NatMapping.Unknown, mapped: 7000),
            Public("198.18.2.1"),
            Firewalled("198.18.2.2"),
        };
        var subsets = Enumerable.Range(0, 16).Select(mask => All.Where((_, i) => (mask & (1 << i)) != 0).ToHashSet()).ToList();
        var checkedPlans = 0;
        foreach (var remoteKind in endpointKinds)
        foreach (var localKind in endpointKinds.Append(null))
        foreach (var signalable in new[] { false, true })
        foreach (var relay in new[] { false, true })
        foreach (var available in subsets)
        {
            var remote = Node(remoteKind is null ? [] : [remoteKind], signalable, relay);
            var local = localKind is null ? null : Node([localKind]);
            var plan = ConnectPlanner.Plan(local, remote, available);
            var names = plan.Select(s => s.Strategy).ToList();
            var context = $"{remoteKind} / {localKind} / signal {signalable} / relay {relay} / {{{string.Join(",", available)}}}: {Describe(plan)}";

            Assert.True(names.All(available.Contains), context);
            Assert.Equal(names.Distinct().Count(), names.Count);
            Assert.True(plan.Count == 0 || plan[0].StartAfter == TimeSpan.Zero, context);
            Assert.True(plan.Zip(plan.Skip(1)).All(p => p.First.StartAfter <= p.Second.StartAfter), context);
            // Only a strategy expected to work holds the next one back; the punch never waits for a dial that
            // the peer's firewall or NAT is known to drop.
            if (names.Contains("punch") && !NetworkRelation.ExpectDial(local, remote) && !NetworkRelation.ExpectDial(remote, local!))
            {
                Assert.Equal(TimeSpan.Zero, plan.Single(s => s.Strategy == "punch").StartAfter);
            }
            Assert.Equal(available.Contains("direct") && DialTargets.From(remote).Count > 0, names.Contains("direct"));
            Assert.Equal(available.Contains("relay") && (signalable || relay), names.Contains("relay"));
            if (names.Contains("relay"))
            {
                Assert.Equal("relay", names[^1]);
            }
            if (!signalable)
            {
                Assert.DoesNotContain("reverse", names);
                Assert.DoesNotContain("punch", names);
            }
            var unpredictable = new[] { (NatMapping.Random, NatMapping.Random), (NatMapping.Random, NatMapping.Sequential), (NatMapping.Sequential, NatMapping.Random) };
            if (local is null || (remoteKind is not null && unpredictable.Contains((localKind!.Nat.Mapping, remoteKind.Nat.Mapping))))
            {
                Assert.DoesNotContain("punch", names);
            }
            if (names.Contains("reverse"))
            {
                Assert.True(DialTargets.From(local!).Count > 0, context);
                Assert.True(NetworkRelation.PubliclyReachable(local!) || NetworkRelation.SameNetwork(local, remote)
                    || remote.Endpoints.All(e => e.PublicAddress is null), context);
            }
            checkedPlans++;
        }
        Assert.Equal(7 * 8 * 2 * 2 * 16, checkedPlans);
    }

    [Fact]
    public void On_the_same_network_lan_endpoints_are_dialed_before_the_public_one()
    {
        var remote = Node([Behind("192.168.1.10", "198.18.1.1", NatMapping.PortPreserving, mapped: 6000)]);
        var neighbour = Node([Behind("192.168.1.11", "198.18.1.1", NatMapping.PortPreserving)]);
        var stranger = Node([Behind("192.168.2.11", "198.18.1.2", NatMapping.PortPreserving)]);
        Assert.Equal(["192.168.1.10:5000", "198.18.1.1:6000"], DialTargets.From(remote, neighbour).Select(e => e.ToString()));
        Assert.Equal(["198.18.1.1:6000", "192.168.1.10:5000"], DialTargets.From(remote, stranger).Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("198.18.0.1", IpScopeKind.Global)]
    [InlineData("198.19.255.1", IpScopeKind.Global)]
    [InlineData("8.8.8.8", IpScopeKind.Global)]
    [InlineData("10.1.2.3", IpScopeKind.Private)]
    [InlineData("172.16.0.1", IpScopeKind.Private)]
    [InlineData("172.32.0.1", IpScopeKind.Global)]
    [InlineData("192.168.0.1", IpScopeKind.Private)]
    [InlineData("100.64.0.1", IpScopeKind.Private)]
    [InlineData("127.0.0.1", IpScopeKind.Loopback)]
    [InlineData("169.254.1.1", IpScopeKind.LinkLocal)]
    [InlineData("224.0.0.1", IpScopeKind.NotAHost)]
    [InlineData("::1", IpScopeKind.Loopback)]
    [InlineData("fe80::1", IpScopeKind.LinkLocal)]
    [InlineData("fd00::1", IpScopeKind.Private)]
    [InlineData("2001:db8::1", IpScopeKind.Global)]
    [InlineData("::ffff:192.168.1.1", IpScopeKind.Private)]
    public void Ip_scope_treats_the_lab_internet_as_global(string ip, IpScopeKind expected) =>
        Assert.Equal(expected, IpScope.Of(IPAddress.Parse(ip)));

    [Fact]
    public void Local_endpoints_cover_interfaces_of_a_wildcard_listener_and_attach_manual_mappings()
    {
        IPAddress[] interfaces = [IPAddress.Loopback, IPAddress.Parse("192.168.1.5"), IPAddress.Parse("198.18.3.4"), IPAddress.Parse("fe80::1"), IPAddress.Parse("2001:db8::7")];
        var endpoints = LocalEndpoints.Describe(
            [(new IPEndPoint(IPAddress.IPv6Any, 4000), true)], interfaces, [new IPEndPoint(IPAddress.Parse("203.0.113.9"), 4444)]);
        Assert.Equal(3, endpoints.Count);
        var home = endpoints.Single(e => e.LanAddress!.Equals(IPAddress.Parse("192.168.1.5")));
        Assert.Equal((IPAddress.Parse("203.0.113.9"), 4444, MappingMethod.Manual), (home.PublicAddress, home.MappedPort, home.MappingMethod));
        var lab = endpoints.Single(e => e.LanAddress!.Equals(IPAddress.Parse("198.18.3.4")));
        Assert.Equal(IPAddress.Parse("198.18.3.4"), lab.PublicAddress);
        Assert.Equal(NatMapping.Open, lab.Nat.Mapping);
        Assert.Contains(endpoints, e => e.LanAddress!.Equals(IPAddress.Parse("2001:db8::7")));
        Assert.DoesNotContain(endpoints, e => IPAddress.IsLoopback(e.LanAddress!) || e.LanAddress!.IsIPv6LinkLocal);

        var loopbackOnly = LocalEndpoints.Describe([(new IPEndPoint(IPAddress.Loopback, 5000), false)], interfaces, []);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 5000), Assert.Single(loopbackOnly).LanEndPoint);
    }
}
