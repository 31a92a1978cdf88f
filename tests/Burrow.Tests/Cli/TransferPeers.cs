using System.Text.Json.Nodes;
using Burrow.Cli.Output;
using Burrow.Connect;
using Burrow.Identity;
using Burrow.Relay;
using Burrow.Tests.Node;
using Burrow.Tests.Rendezvous;
using Burrow.Transport;

namespace Burrow.Tests.Cli;

/// <summary>Two ends of a loopback connection, direct or relayed, for a transfer (or one whose other side a test plays by hand).</summary>
internal static class TransferPeers
{
    /// <summary>
    /// A connection through a relay with <paramref name="relayLimits"/> (the relay's default ones when null): the
    /// dialing end (which makes the attempts to upgrade it, <see cref="ConnectOptions.UpgradeAfter"/>) and the
    /// accepting end. <paramref name="owned"/> disposes it all.
    /// </summary>
    public static async Task<(PeerConnection Dialed, PeerConnection Accepted)> RelayedAsync(Owned owned, ConnectOptions connect, RelayLimits? relayLimits,
        CancellationToken ct)
    {
        var (alice, bob) = await PunchAndRelayNodeTests.StartWithRelayAsync(owned, owned.Add(NodeIdentity.Create()), owned.Add(NodeIdentity.Create()), connect,
            relayLimits ?? new RelayServerOptions().Limits, ct);
        var accepting = bob.AcceptAsync(ct);
        var dialed = owned.Add(await alice.ConnectWithAsync(bob.Address, RelayStrategy.StrategyName, ct));
        return (dialed, owned.Add(await accepting));
    }

    /// <summary>A connection between two fresh loopback nodes; <paramref name="owned"/> disposes it all.</summary>
    public static async Task<(PeerConnection Outbound, PeerConnection Inbound)> DirectAsync(Owned owned, CancellationToken ct)
    {
        var nodes = owned.Add(await NodePair.StartAsync(ct));
        var (outbound, inbound) = await NodeHarness.ConnectAsync(nodes.Alice, nodes.Bob, ct);
        return (owned.Add(outbound), owned.Add(inbound));
    }

    /// <summary>A reporter writing JSON events to <paramref name="events"/>.</summary>
    public static Reporter JsonReporter(StringWriter events) => new(json: true, events);

    /// <summary>The <c>code</c> of the <c>error</c> event a reporter wrote, or null when it wrote none.</summary>
    public static string? ErrorCode(StringWriter events) =>
        events.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!)
            .FirstOrDefault(e => e["event"]!.GetValue<string>() == "error")?["code"]!.GetValue<string>();
}
