using System.Net;
using Burrow.Addressing;
using Burrow.Probing;
using Burrow.Probing.Stun;

namespace Burrow.Tests.Probing;

/// <summary>The prober as a node's reachability source: its verdict is signed into the node's address.</summary>
public class NatProbeSourceTests
{
    [Fact(Timeout = 30_000)]
    public async Task The_verdict_fills_the_public_address_and_nat_fields_of_the_address()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = StunServer.Start(new StunServerOptions
        {
            Primary = new IPEndPoint(IPAddress.Loopback, 0),
            Alternate = new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0),
        });
        var source = new NatProbeSource(new NatProberOptions { Servers = [server.Primary] });
        using var key = Burrow.Identity.NodeIdentity.Create();
        var node = await Burrow.Tests.Node.NodeHarness.StartAsync(key, ct, o => o with { Reachability = [source] });
        await using (node)
        {
            var endpoint = Assert.Single(node.Address.Endpoints);
            Assert.Equal(IPAddress.Loopback, endpoint.PublicAddress);
            Assert.Equal(new NatBehavior(NatMapping.Open, NatFiltering.Open), endpoint.Nat);
            Assert.Equal(Connectivity.ReachableDirectly, source.Report?.Connectivity);
        }
    }
}
