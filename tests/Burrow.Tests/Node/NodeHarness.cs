using System.Net;
using Burrow.Identity;
using Burrow.Node;
using Burrow.Transport;

namespace Burrow.Tests.Node;

/// <summary>Starts nodes on loopback with in-memory identities.</summary>
internal static class NodeHarness
{
    public static Task<BurrowNode> StartAsync(NodeIdentity identity, CancellationToken ct, Func<BurrowNodeOptions, BurrowNodeOptions>? tweak = null)
    {
        var options = new BurrowNodeOptions { Identity = identity, ListenEndpoints = [new IPEndPoint(IPAddress.Loopback, 0)] };
        return BurrowNode.StartAsync(tweak?.Invoke(options) ?? options, ct);
    }

    /// <summary>Connects <paramref name="from"/> to <paramref name="to"/> and returns both ends.</summary>
    public static async Task<(PeerConnection Outbound, PeerConnection Inbound)> ConnectAsync(BurrowNode from, BurrowNode to, CancellationToken ct)
    {
        var accepting = to.AcceptAsync(ct);
        var outbound = await from.ConnectAsync(to.Address, ct);
        return (outbound, await accepting);
    }
}

/// <summary>Two nodes on loopback (alice, bob) with fresh identities, disposed together.</summary>
internal sealed class NodePair : IAsyncDisposable
{
    private readonly NodeIdentity _aliceKey = NodeIdentity.Create();
    private readonly NodeIdentity _bobKey = NodeIdentity.Create();

    private NodePair()
    {
    }

    public BurrowNode Alice { get; private set; } = null!;

    public BurrowNode Bob { get; private set; } = null!;

    public static async Task<NodePair> StartAsync(CancellationToken ct, Func<BurrowNodeOptions, BurrowNodeOptions>? tweakBob = null)
    {
        var pair = new NodePair();
        pair.Alice = await NodeHarness.StartAsync(pair._aliceKey, ct);
        pair.Bob = await NodeHarness.StartAsync(pair._bobKey, ct, tweakBob);
        return pair;
    }

    public async ValueTask DisposeAsync()
    {
        await Alice.DisposeAsync();
        await Bob.DisposeAsync();
        _aliceKey.Dispose();
        _bobKey.Dispose();
    }
}
