using System.Net;
using Burrow.Addressing;
using Burrow.Identity;
using Burrow.Node;

namespace Burrow.Tests.Node;

public class ReachabilityTests
{
    /// <summary>A source that "learns" a public mapping, as a port mapper would.</summary>
    private sealed class FakeMapper : IReachabilitySource
    {
        private ReachabilityContext? _context;

        public int MappedPort { get; private set; }

        public bool Disposed { get; private set; }

        public Task StartAsync(ReachabilityContext context, CancellationToken cancellationToken)
        {
            _context = context;
            MappedPort = 40000;
            return Task.CompletedTask;
        }

        public void Remap(int port)
        {
            MappedPort = port;
            _context!.Changed();
        }

        public IReadOnlyList<AddressEndpoint> Apply(IReadOnlyList<AddressEndpoint> endpoints) =>
            [.. endpoints.Select(e => e with { PublicAddress = IPAddress.Parse("198.18.1.1"), MappedPort = MappedPort, MappingMethod = MappingMethod.Pcp })];

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task What_a_source_learns_is_signed_into_the_address_and_a_change_reissues_it()
    {
        var ct = TestContext.Current.CancellationToken;
        using var key = NodeIdentity.Create();
        var mapper = new FakeMapper();
        var node = await NodeHarness.StartAsync(key, ct, o => o with { Reachability = [mapper] });
        try
        {
            var first = Assert.Single(node.Address.Endpoints);
            Assert.Equal((40000, MappingMethod.Pcp), (first.MappedPort, first.MappingMethod));
            Assert.Equal(node.ListenEndPoints[0].Port, first.ListenPort);

            NodeAddress? announced = null;
            node.AddressChanged += a => announced = a;
            mapper.Remap(40002);
            Assert.NotNull(announced);
            Assert.Equal(40002, Assert.Single(announced.Endpoints).MappedPort);
            Assert.Same(announced, node.Address);
            Assert.True(NodeAddress.TryParse(announced.ToString(), out _, out _)); // signed and valid
        }
        finally
        {
            await node.DisposeAsync();
        }
        Assert.True(mapper.Disposed); // a mapper deletes its mappings when the node stops
    }
}
