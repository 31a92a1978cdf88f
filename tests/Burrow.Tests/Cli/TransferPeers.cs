using System.Text.Json.Nodes;
using Burrow.Cli.Output;
using Burrow.Tests.Node;
using Burrow.Transport;

namespace Burrow.Tests.Cli;

/// <summary>Two ends of a direct loopback connection, for a transfer whose other side a test plays by hand.</summary>
internal static class TransferPeers
{
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
