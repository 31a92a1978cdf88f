using System.Diagnostics;
using System.Net;
using Burrow.Addressing;
using Burrow.Node;
using Burrow.PortMapping;
using Burrow.PortMapping.NatPmp;
using Burrow.PortMapping.Pcp;
using Burrow.PortMapping.Upnp;
using Microsoft.Extensions.Logging.Abstractions;

namespace Burrow.Tests.PortMapping;

/// <summary>The protocol clients, the preference order and the node integration against fake gateways on loopback.</summary>
public class PortMapClientTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    private static CancellationToken Within(TimeSpan timeout)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(timeout);
        return source.Token;
    }

    private static PortMapOptions OptionsFor(FakePmpGateway? pmp, FakeUpnpGateway? upnp, params MappingMethod[] methods) => new()
    {
        Gateway = IPAddress.Loopback,
        NatPmpPort = pmp?.Port ?? 9, // discard: nothing listens
        SsdpTargets = upnp is null ? [] : [upnp.SsdpEndPoint], // never multicast from a unit test
        Methods = methods.Length > 0 ? methods : [MappingMethod.Pcp, MappingMethod.NatPmp, MappingMethod.Upnp],
        ProbeTimeout = TimeSpan.FromMilliseconds(800),
    };

    [Fact]
    public async Task Nat_pmp_maps_tcp_with_opcode_2_and_deletes_it()
    {
        await using var gateway = new FakePmpGateway(pcp: false);
        var client = new NatPmpClient(new IPEndPoint(IPAddress.Loopback, gateway.Port), TimeProvider.System, NullLogger.Instance);
        var result = await client.MapAsync(new PortMapRequest(PortMapProtocol.Tcp, 4321, TimeSpan.FromHours(1)), null, Within(Bound));
        var mapping = Assert.IsType<Burrow.PortMapping.PortMapping>(result.Mapping);
        Assert.Equal((MappingMethod.NatPmp, new IPEndPoint(IPAddress.Parse("198.18.7.7"), 4321), TimeSpan.FromHours(1), 1000u),
            (mapping.Method, mapping.External, mapping.Lifetime, mapping.Epoch!.Value));
        Assert.Contains(gateway.Requests, r => r.Length == 12 && r[1] == NatPmpCodec.OpMapTcp);
        Assert.True(gateway.Table.ContainsKey(("tcp", 4321)));

        Assert.True(await client.DeleteAsync(mapping, Within(Bound)));
        Assert.Empty(gateway.Table);
    }

    [Fact]
    public async Task Pcp_maps_renews_with_the_same_nonce_and_deletes()
    {
        await using var gateway = new FakePmpGateway(natPmp: false);
        var client = new PcpClient(new IPEndPoint(IPAddress.Loopback, gateway.Port), TimeProvider.System, NullLogger.Instance);
        var request = new PortMapRequest(PortMapProtocol.Tcp, 4322, TimeSpan.FromMinutes(10));
        var first = (await client.MapAsync(request, null, Within(Bound))).Mapping!;
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.18.7.7"), 4322), first.External);
        var renewed = (await client.MapAsync(request, first, Within(Bound))).Mapping!;
        Assert.Equal(first.External, renewed.External);
        Assert.Equal(first.Nonce.ToArray(), renewed.Nonce.ToArray());
        Assert.Equal(first.Nonce.ToArray(), gateway.Table[("tcp", 4322)].Nonce);

        Assert.True(await client.DeleteAsync(renewed, Within(Bound)));
        Assert.Empty(gateway.Table);
    }

    [Fact]
    public async Task A_silent_gateway_is_no_response_when_the_deadline_ends_the_retransmits()
    {
        await using var gateway = new FakePmpGateway { Silent = true };
        var client = new NatPmpClient(new IPEndPoint(IPAddress.Loopback, gateway.Port), TimeProvider.System, NullLogger.Instance);
        var stopwatch = Stopwatch.StartNew();
        var result = await client.MapAsync(new PortMapRequest(PortMapProtocol.Tcp, 4323, TimeSpan.FromHours(1)), null, Within(TimeSpan.FromMilliseconds(900)));
        Assert.Null(result.Mapping);
        Assert.Equal(NoMappingReason.NoResponse, result.Reason);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(700), TimeSpan.FromSeconds(3));
        Assert.InRange(gateway.Requests.Count, 3, 4); // sent at 0, 250 ms and 750 ms (doubling)
    }

    [Fact]
    public async Task The_best_protocol_that_answers_wins_pcp_then_nat_pmp()
    {
        await using var both = new FakePmpGateway();
        var (result, mapper) = await new GatewayMappers(IPAddress.Loopback, OptionsFor(both, null), NullLogger.Instance)
            .MapBestAsync(new PortMapRequest(PortMapProtocol.Tcp, 4324, TimeSpan.FromHours(1)), Within(Bound));
        Assert.Equal(MappingMethod.Pcp, result.Mapping?.Method);
        Assert.Equal(MappingMethod.Pcp, mapper?.Method);

        await using var natPmpOnly = new FakePmpGateway(pcp: false); // answers PCP with NAT-PMP's "unsupported version"
        var stopwatch = Stopwatch.StartNew();
        (result, _) = await new GatewayMappers(IPAddress.Loopback, OptionsFor(natPmpOnly, null), NullLogger.Instance)
            .MapBestAsync(new PortMapRequest(PortMapProtocol.Tcp, 4325, TimeSpan.FromHours(1)), Within(Bound));
        Assert.Equal(MappingMethod.NatPmp, result.Mapping?.Method);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromMilliseconds(700), $"took {stopwatch.Elapsed}: it should not wait for PCP's timeout");
    }

    [Fact]
    public async Task No_gateway_that_answers_gives_no_mapping_with_the_reason_of_each()
    {
        await using var silent = new FakePmpGateway { Silent = true };
        var stopwatch = Stopwatch.StartNew();
        var (result, mapper) = await new GatewayMappers(IPAddress.Loopback, OptionsFor(silent, null), NullLogger.Instance)
            .MapBestAsync(new PortMapRequest(PortMapProtocol.Tcp, 4326, TimeSpan.FromHours(1)), Within(Bound));
        Assert.Null(result.Mapping);
        Assert.Null(mapper);
        Assert.Equal(NoMappingReason.NoResponse, result.Reason);
        Assert.Contains("Pcp", result.Detail);
        Assert.Contains("NatPmp", result.Detail);
        Assert.Contains("Upnp", result.Detail);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task Upnp_v1_conflict_718_takes_another_external_port()
    {
        await using var gateway = new FakeUpnpGateway(version: 1);
        gateway.Table[("TCP", 4327)] = ("192.168.1.99:80", 0, "someone else");
        var client = new UpnpClient(IPAddress.Loopback, [gateway.SsdpEndPoint], OptionsFor(null, gateway), NullLogger.Instance);
        var result = await client.MapAsync(new PortMapRequest(PortMapProtocol.Tcp, 4327, TimeSpan.FromHours(1)), null, Within(Bound));
        var mapping = Assert.IsType<Burrow.PortMapping.PortMapping>(result.Mapping);
        Assert.NotEqual(4327, mapping.External.Port);
        Assert.Equal(IPAddress.Parse("198.18.9.9"), mapping.External.Address);
        Assert.Equal(["GetExternalIPAddress", "AddPortMapping", "AddPortMapping"], gateway.Actions);
        Assert.Equal("192.168.1.99:80", gateway.Table[("TCP", 4327)].Internal);

        Assert.True(await client.DeleteAsync(mapping, Within(Bound)));
        Assert.Single(gateway.Table);
    }

    [Fact]
    public async Task Upnp_v2_uses_add_any_port_mapping_and_takes_the_port_it_reserves()
    {
        await using var gateway = new FakeUpnpGateway(version: 2);
        gateway.Table[("TCP", 4328)] = ("192.168.1.99:80", 0, "someone else");
        var client = new UpnpClient(IPAddress.Loopback, [gateway.SsdpEndPoint], OptionsFor(null, gateway), NullLogger.Instance);
        var mapping = (await client.MapAsync(new PortMapRequest(PortMapProtocol.Tcp, 4328, TimeSpan.FromHours(1)), null, Within(Bound))).Mapping!;
        Assert.Equal(["GetExternalIPAddress", "AddAnyPortMapping"], gateway.Actions);
        Assert.Equal(50000, mapping.External.Port);
        Assert.Equal(3600, gateway.Table[("TCP", 50000)].Lease);
    }

    [Fact]
    public async Task Upnp_725_only_permanent_leases_retries_with_lease_0_and_the_mapping_is_still_deleted()
    {
        await using var gateway = new FakeUpnpGateway(version: 1) { OnlyPermanentLeases = true };
        var client = new UpnpClient(IPAddress.Loopback, [gateway.SsdpEndPoint], OptionsFor(null, gateway), NullLogger.Instance);
        var mapping = (await client.MapAsync(new PortMapRequest(PortMapProtocol.Tcp, 4329, TimeSpan.FromHours(1)), null, Within(Bound))).Mapping!;
        Assert.True(mapping.Permanent);
        Assert.Equal(DateTimeOffset.MaxValue, mapping.RenewAt);
        Assert.Equal(0, gateway.Table[("TCP", 4329)].Lease);
        Assert.True(await client.DeleteAsync(mapping, Within(Bound)));
        Assert.Empty(gateway.Table);
    }

    [Fact]
    public async Task A_node_advertises_the_mapped_endpoint_with_its_method_and_deletes_the_mapping_when_disposed()
    {
        await using var gateway = new FakePmpGateway();
        var source = new PortMapSource(OptionsFor(gateway, null) with { Description = "burrow-test" });
        using var identity = Burrow.Identity.NodeIdentity.Create();
        var node = await BurrowNode.StartAsync(new BurrowNodeOptions
        {
            Identity = identity,
            ListenEndpoints = [new IPEndPoint(IPAddress.Loopback, 0)],
            Reachability = [source],
        }, Within(Bound));
        var port = node.ListenEndPoints[0].Port;
        var endpoint = Assert.Single(node.Address.Endpoints, e => e.MappingMethod == MappingMethod.Pcp);
        Assert.Equal((IPAddress.Parse("198.18.7.7"), port, port), (endpoint.PublicAddress, endpoint.MappedPort, endpoint.ListenPort));
        Assert.NotNull(source.TimeToFirstMapping);
        Assert.True(gateway.Table.ContainsKey(("tcp", port)));

        await node.DisposeAsync();
        Assert.Empty(gateway.Table);
    }

    [Fact]
    public async Task A_mapping_is_not_advertised_when_an_observed_public_address_disagrees()
    {
        await using var gateway = new FakePmpGateway(natPmp: false);
        await using var source = new PortMapSource(OptionsFor(gateway, null, MappingMethod.Pcp));
        await source.StartAsync(new ReachabilityContext([new IPEndPoint(IPAddress.Loopback, 4330)], NullLoggerFactory.Instance, TimeProvider.System, () => { }), Within(Bound));
        var lan = new AddressEndpoint { LanAddress = IPAddress.Loopback, ListenPort = 4330 };

        var advertised = Assert.Single(source.Apply([lan]));
        Assert.Equal((IPAddress.Parse("198.18.7.7"), 4330, MappingMethod.Pcp), (advertised.PublicAddress, advertised.MappedPort, advertised.MappingMethod));

        var observed = lan with { PublicAddress = IPAddress.Parse("198.18.99.99") }; // e.g. by STUN: another NAT in front
        Assert.Same(observed, Assert.Single(source.Apply([observed])));
    }

    [Fact]
    public void A_connection_to_a_mapped_endpoint_is_named_portmap_and_any_other_direct()
    {
        using var identity = Burrow.Identity.NodeIdentity.Create();
        var address = NodeAddress.Issue(identity, new NodeAddressContent
        {
            Endpoints =
            [
                new AddressEndpoint { LanAddress = IPAddress.Parse("192.168.1.10"), PublicAddress = IPAddress.Parse("198.18.1.1"), ListenPort = 4000, MappedPort = 40000, MappingMethod = MappingMethod.Upnp },
            ],
            IssuedAt = DateTimeOffset.UtcNow,
            Lifetime = TimeSpan.FromHours(1),
        });
        Assert.Equal("portmap", Burrow.Connect.DirectStrategy.NameFor(address, IPEndPoint.Parse("198.18.1.1:40000")));
        Assert.Equal("direct", Burrow.Connect.DirectStrategy.NameFor(address, IPEndPoint.Parse("192.168.1.10:4000")));
    }
}
