using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using Burrow.Cli.Output;
using Burrow.Rendezvous.Server;

namespace Burrow.Cli.Commands;

/// <summary><c>burrow rendezvous --listen IP:PORT</c>: runs a rendezvous server until interrupted.</summary>
internal static class RendezvousCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = "IP:PORT to accept nodes on (port 0: any free port).", Required = true };
        var relay = new Option<string?>("--relay") { Description = "Also run a relay on IP:PORT (the last resort for peers that cannot connect directly)." };
        var command = new Command("rendezvous", "Run a rendezvous server: nodes register, learn their public endpoint and the time, and signal each other; with --relay, a relay too.")
        {
            listen, relay,
        };
        command.SetAction(async (parse, ct) =>
        {
            var reporter = new Reporter(parse.GetValue(CommonOptions.Json), Console.Error);
            if (!IPEndPoint.TryParse(parse.GetValue(listen) ?? "", out var endpoint) || !parse.GetValue(listen)!.Contains(':', StringComparison.Ordinal))
            {
                return reporter.Fail(ExitCodes.BadInput, "usage", $"--listen '{parse.GetValue(listen)}' is not an IP:PORT.");
            }
            IPEndPoint? relayEndpoint = null;
            if (parse.GetValue(relay) is { } relayText && (!IPEndPoint.TryParse(relayText, out relayEndpoint) || !relayText.Contains(':', StringComparison.Ordinal)))
            {
                return reporter.Fail(ExitCodes.BadInput, "usage", $"--relay '{relayText}' is not an IP:PORT.");
            }
            var (identity, _, _) = await NodeFactory.LoadIdentityAsync(parse, ct);
            using var logging = NodeFactory.Logging(parse);
            using (identity)
            {
                await using var server = await RendezvousServer.StartAsync(new RendezvousServerOptions
                {
                    Listen = endpoint,
                    Identity = identity,
                    LoggerFactory = logging,
                }, ct);
                await using var relayServer = relayEndpoint is null ? null
                    : Burrow.Relay.RelayServer.Start(new Burrow.Relay.RelayServerOptions { ListenEndpoints = [relayEndpoint], LoggerFactory = logging });
                reporter.Event("listening", new JsonObject
                {
                    ["nodeId"] = server.NodeId.ToString(),
                    ["endpoint"] = server.LocalEndPoint.ToString(),
                    ["relay"] = relayServer?.EndPoints[0].ToString(),
                });
                if (relayServer is not null)
                {
                    reporter.Say($"relay listening on [bold]{relayServer.EndPoints[0]}[/]");
                }
                reporter.Say($"rendezvous [bold]{server.NodeId.ToShortString()}…[/] listening on [bold]{server.LocalEndPoint}[/] (Ctrl-C to stop)");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    reporter.Event("closed", new JsonObject { ["reason"] = "interrupted", ["registered"] = server.RegisteredCount });
                    reporter.Say("[yellow]interrupted[/]");
                }
                return ExitCodes.Interrupted;
            }
        });
        return command;
    }
}
