using System.Net;
using Burrow.Addressing;
using Burrow.Probing;
using Burrow.Probing.Stun;

namespace Burrow.Tests.Probing;

/// <summary>Burrow's STUN client against Burrow's STUN server on loopback (127.0.0.1 and 127.0.0.2, two ports).</summary>
public class LoopbackStunTests
{
    private static StunServer StartServer() => StunServer.Start(new StunServerOptions
    {
        Primary = new IPEndPoint(IPAddress.Loopback, 0),
        Alternate = new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0),
    });

    [Fact]
    public async Task Udp_binding_returns_the_client_endpoint_and_rfc5780_attributes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = StartServer();
        await using var client = StunUdpClient.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var response = await client.RequestAsync(StunMessage.BindingRequest(StunTransactionId.New()), server.Primary, TimeSpan.FromSeconds(5), cancellationToken: ct);

        Assert.NotNull(response);
        Assert.Equal(StunClass.SuccessResponse, response.Message.Class);
        Assert.Equal(client.LocalEndPoint, response.Message.XorMappedAddress);
        Assert.Equal(server.Primary, response.Message.ResponseOrigin);
        Assert.Equal(server.Alternate, response.Message.OtherAddress);
        Assert.True(response.Message.HasFingerprint);
    }

    [Theory]
    [InlineData(StunChange.Ip | StunChange.Port)]
    [InlineData(StunChange.Port)]
    [InlineData(StunChange.Ip)]
    public async Task Change_request_is_answered_from_the_other_address_or_port(StunChange change)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = StartServer();
        await using var client = StunUdpClient.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var response = await client.RequestAsync(StunMessage.BindingRequest(StunTransactionId.New()) with { ChangeRequest = change }, server.Primary, TimeSpan.FromSeconds(5), cancellationToken: ct);

        Assert.NotNull(response);
        var expected = new IPEndPoint(
            (change & StunChange.Ip) != 0 ? server.Alternate!.Address : server.Primary.Address,
            (change & StunChange.Port) != 0 ? server.Alternate!.Port : server.Primary.Port);
        Assert.Equal(expected, response.From);
        Assert.Equal(expected, response.Message.ResponseOrigin);
    }

    [Fact]
    public async Task Tcp_binding_and_connect_back_over_one_connection()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = StartServer();
        await using var connection = await StunTcpConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 0), server.Primary, cancellationToken: ct);
        var first = await connection.RequestAsync(StunMessage.BindingRequest(StunTransactionId.New()), ct);
        Assert.Equal(connection.LocalEndPoint, first.Message.Mapped);
        Assert.Equal(server.Alternate, first.Message.OtherAddress);

        // nothing listens on the client's port: the kernel answers the connect-back with a RST
        var back = await connection.RequestAsync(StunMessage.BindingRequest(StunTransactionId.New()) with { ConnectBack = true }, ct);
        Assert.Equal(ConnectBackOutcome.Reset, back.Message.ConnectBackResult);
    }

    [Fact]
    public async Task Unknown_comprehension_required_attribute_gets_420_over_udp()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = StunServer.Start(new StunServerOptions { Primary = new IPEndPoint(IPAddress.Loopback, 0) });
        await using var client = StunUdpClient.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        // no alternate address: CHANGE-REQUEST is not supported
        var response = await client.RequestAsync(StunMessage.BindingRequest(StunTransactionId.New()) with { ChangeRequest = StunChange.Port }, server.Primary, TimeSpan.FromSeconds(5), cancellationToken: ct);
        Assert.NotNull(response);
        Assert.Equal(StunClass.ErrorResponse, response.Message.Class);
        Assert.Equal(420, response.Message.Error?.Code);
    }

    [Fact]
    public async Task No_server_means_no_answer_within_the_callers_timeout()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var silent = StunUdpClient.Bind(new IPEndPoint(IPAddress.Loopback, 0));  // a socket that never answers
        await using var client = StunUdpClient.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var started = TimeProvider.System.GetTimestamp();
        var response = await client.RequestAsync(StunMessage.BindingRequest(StunTransactionId.New()), silent.LocalEndPoint, TimeSpan.FromMilliseconds(300), cancellationToken: ct);
        Assert.Null(response);
        Assert.InRange(TimeProvider.System.GetElapsedTime(started).TotalMilliseconds, 250, 3000);
    }

    [Fact]
    public async Task Full_probe_on_loopback_is_open_and_reachable_directly()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = StartServer();
        await using var prober = new NatProber(new NatProberOptions { Servers = [server.Primary] });
        var report = await prober.ProbeAsync(ct);

        var verdict = Assert.Single(report.Families).Verdict;
        Assert.Equal(NatMapping.Open, verdict.TcpMapping.Mapping);
        Assert.Equal(ProbeConfidence.High, verdict.TcpMapping.Confidence);
        Assert.Equal(NatFiltering.Open, verdict.TcpFiltering.Filtering);
        Assert.Equal(NatMapping.Open, verdict.UdpMapping?.Mapping);
        Assert.Equal(Rfc5780Filtering.EndpointIndependent, verdict.UdpFiltering?.Rfc5780);
        Assert.Equal(Connectivity.ReachableDirectly, report.Connectivity);
        Assert.Equal(3, verdict.TcpMapping.Observations.Count);  // as many probes as the verdict needs
    }

    [Fact]
    public async Task Ipv6_server_without_alternate_gives_a_mapping_and_leaves_filtering_unknown()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = StunServer.Start(new StunServerOptions { Primary = new IPEndPoint(IPAddress.IPv6Loopback, 0) });
        await using var prober = new NatProber(new NatProberOptions { Servers = [server.Primary] });
        var family = Assert.Single((await prober.ProbeAsync(ct)).Families);

        Assert.Equal(System.Net.Sockets.AddressFamily.InterNetworkV6, family.Family);
        Assert.Equal(NatMapping.Open, family.Verdict.TcpMapping.Mapping);
        Assert.Equal(IPAddress.IPv6Loopback, family.Verdict.TcpMapping.PublicAddress);
        Assert.Equal(ProbeConfidence.Low, family.Verdict.TcpMapping.Confidence);   // one server endpoint only
        Assert.Equal(NatFiltering.Unknown, family.Verdict.TcpFiltering.Filtering);  // no other address to connect back from
        Assert.Equal(Rfc5780Filtering.Unknown, family.Verdict.UdpFiltering?.Rfc5780);
        Assert.Equal(Connectivity.Punchable, family.Verdict.Connectivity);          // open mapping, filtering not known
    }

    [Fact]
    public async Task Each_local_address_gets_its_own_probe_and_public_address()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = StartServer();
        IPAddress[] locals = [IPAddress.Loopback, IPAddress.Parse("127.0.0.3")];
        await using var prober = new NatProber(new NatProberOptions { Servers = [server.Primary], LocalAddresses = locals });
        var report = await prober.ProbeAsync(ct);

        Assert.Equal(locals, report.Families.Select(f => f.LocalAddress));
        Assert.All(report.Families, f =>
        {
            Assert.Equal(f.LocalAddress, f.Verdict.TcpMapping.PublicAddress);
            Assert.Equal(f.LocalAddress, f.Verdict.UdpMapping?.PublicAddress);
            Assert.Equal(NatMapping.Open, f.Verdict.TcpMapping.Mapping);
        });
    }
}
