using System.Net;
using Burrow.Identity;
using Burrow.Node;

namespace Burrow.Tests.Node;

/// <summary>Starts nodes on loopback with in-memory identities.</summary>
internal static class NodeHarness
{
    public static Task<BurrowNode> StartAsync(NodeIdentity identity, CancellationToken ct, Func<BurrowNodeOptions, BurrowNodeOptions>? tweak = null)
    {
        var options = new BurrowNodeOptions { Identity = identity, ListenEndpoints = [new IPEndPoint(IPAddress.Loopback, 0)] };
        return BurrowNode.StartAsync(tweak?.Invoke(options) ?? options, ct);
    }
}
