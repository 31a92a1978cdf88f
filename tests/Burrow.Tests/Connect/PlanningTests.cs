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
