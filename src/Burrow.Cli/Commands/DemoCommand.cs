using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Burrow.Cli.Output;
using Burrow.Identity;
using Burrow.Node;
using Burrow.Transport;
using Spectre.Console;

namespace Burrow.Cli.Commands;

/// <summary>
/// <c>burrow demo</c>: Burrow's main job on an embedded default. Two nodes in this process, on loopback only,
/// with fresh identities: one publishes its address, the other connects to it, and a message goes each way.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Start two nodes on loopback, connect them and send a message each way (needs no network).");
        command.SetAction(async (parse, ct) =>
        {
            var reporter = new Reporter(parse.GetValue(CommonOptions.Json), Console.Error);
            using var logging = NodeFactory.Logging(parse);
            using var aliceKey = NodeIdentity.Create();
            using var bobKey = NodeIdentity.Create();
            BurrowNodeOptions Options(NodeIdentity key) => new()
            {
                Identity = key,
                ListenEndpoints = [new IPEndPoint(IPAddress.Loopback, 0)],
                LoggerFactory = logging,
            };
            await using var alice = await BurrowNode.StartAsync(Options(aliceKey), ct);
            await using var bob = await BurrowNode.StartAsync(Options(bobKey), ct);
            var address = bob.Address.ToString();
            reporter.Event("listening", new JsonObject { ["node"] = "bob", ["nodeId"] = bob.NodeId.ToString(), ["address"] = address });
            reporter.Say($"[bold]bob[/]   {bob.NodeId} listening on {bob.ListenEndPoints[0]}");
            reporter.Say($"[bold]alice[/] {alice.NodeId}");
            PeerSession.ShowAddress(reporter, $"bob's signed address ({address.Length} characters)", address);

            var accepting = bob.AcceptAsync(ct);
            var clock = Stopwatch.StartNew();
            await using var aliceSide = await alice.ConnectAsync(Burrow.Addressing.NodeAddress.Parse(address, DateTimeOffset.UtcNow), ct);
            await using var bobSide = await accepting;
            reporter.Event("connected", new JsonObject
            {
                ["node"] = "alice",
                ["peer"] = aliceSide.RemoteId.ToString(),
                ["strategy"] = aliceSide.Strategy,
                ["elapsedMs"] = Math.Round(aliceSide.Elapsed.TotalMilliseconds, 1),
                ["remote"] = aliceSide.RemoteEndPoint.ToString(),
            });

            var aliceMessages = new MessageStream(aliceSide.Stream);
            var bobMessages = new MessageStream(bobSide.Stream);
            await aliceMessages.WriteAsync(Encoding.UTF8.GetBytes($"hello bob, this is {alice.NodeId.ToShortString()}"), ct);
            var atBob = Encoding.UTF8.GetString(await bobMessages.ReadAsync(ct) ?? []);
            await bobMessages.WriteAsync(Encoding.UTF8.GetBytes($"hello alice, this is {bob.NodeId.ToShortString()}"), ct);
            var atAlice = Encoding.UTF8.GetString(await aliceMessages.ReadAsync(ct) ?? []);
            var roundTrip = clock.Elapsed;
            var verified = aliceSide.RemoteId == bob.NodeId && bobSide.RemoteId == alice.NodeId;

            reporter.Event("message", new JsonObject { ["from"] = "alice", ["to"] = "bob", ["text"] = atBob });
            reporter.Event("message", new JsonObject { ["from"] = "bob", ["to"] = "alice", ["text"] = atAlice });
            reporter.Event("closed", new JsonObject { ["verified"] = verified, ["totalMs"] = Math.Round(roundTrip.TotalMilliseconds, 1) });
            if (!reporter.Json)
            {
                var table = new Table().Border(TableBorder.Rounded).AddColumns("", "").HideHeaders();
                table.AddRow("strategy", aliceSide.Strategy);
                table.AddRow("connect time", $"{aliceSide.Elapsed.TotalMilliseconds:F1} ms (TCP + TLS 1.3, keys checked both ways)");
                table.AddRow("alice → bob", Markup.Escape(atBob));
                table.AddRow("bob → alice", Markup.Escape(atAlice));
                table.AddRow("peer ids verified", verified ? "[green]yes[/]" : "[red]NO[/]");
                table.AddRow("total", $"{roundTrip.TotalMilliseconds:F1} ms");
                reporter.Human.Write(table);
                reporter.Say(verified ? "[green]demo completed[/]" : "[red]demo failed[/]");
            }
            return verified ? ExitCodes.Success : ExitCodes.ConnectionFailed;
        });
        return command;
    }
}
