using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using Burrow.Cli.Output;
using Burrow.Node;

namespace Burrow.Cli.Commands;

/// <summary><c>burrow listen</c>: prints this node's address, accepts a peer, then behaves like netcat.</summary>
internal static class ListenCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port", "-p") { Description = "TCP port to listen on (0: any free port).", DefaultValueFactory = _ => 0 };
        var bind = new Option<string[]>("--bind") { Description = "Local IP to listen on (repeatable). Default: every interface, IPv6 and IPv4.", AllowMultipleArgumentsPerToken = false };
        var manual = new Option<string[]>("--public") { Description = "A public IP:PORT forwarded to this node by hand (repeatable); advertised as a manual mapping." };
        var portmap = new Option<bool>("--portmap") { Description = "Ask the gateway to forward a public port (PCP, NAT-PMP or UPnP IGD) and advertise it; deleted on exit." };
        var command = new Command("listen", "Print this node's address and accept one peer; then stdin goes to the peer and the peer's bytes to stdout.")
        {
            port, bind, manual, portmap,
        };
        command.Validators.Add(result =>
        {
            foreach (var ip in result.GetValue(bind) ?? [])
            {
                if (!IPAddress.TryParse(ip, out _))
                {
                    result.AddError($"--bind '{ip}' is not an IP address.");
                }
            }
            foreach (var endpoint in result.GetValue(manual) ?? [])
            {
                if (!IPEndPoint.TryParse(endpoint, out var parsed) || parsed.Port == 0)
                {
                    result.AddError($"--public '{endpoint}' is not an IP:PORT.");
                }
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var reporter = new Reporter(parse.GetValue(CommonOptions.Json), Console.Error);
            var listenPort = parse.GetValue(port);
            if (listenPort is < 0 or > 65535)
            {
                return reporter.Fail(ExitCodes.BadInput, "usage", "--port must be between 0 and 65535.");
            }
            var binds = parse.GetValue(bind) ?? [];
            var (identity, _, _) = await NodeFactory.LoadIdentityAsync(parse, ct);
            using var logging = NodeFactory.Logging(parse);
            using (identity)
            {
                var options = new BurrowNodeOptions
                {
                    Identity = identity,
                    LoggerFactory = logging,
                    ManualPublicEndpoints = [.. (parse.GetValue(manual) ?? []).Select(IPEndPoint.Parse)],
                };
                if (binds.Length > 0)
                {
                    options = options with { ListenEndpoints = [.. binds.Select(ip => new IPEndPoint(IPAddress.Parse(ip), listenPort))] };
                }
                else if (listenPort != 0)
                {
                    options = options with { ListenEndpoints = [new IPEndPoint(options.ListenEndpoints[0].Address, listenPort)] };
                }
                var mapper = parse.GetValue(portmap) ? new Burrow.PortMapping.PortMapSource() : null;
                if (mapper is not null)
                {
                    options = options with { Reachability = [mapper] };
                }
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                await using var node = await BurrowNode.StartAsync(options, ct);
                var address = node.Address;
                if (mapper is not null)
                {
                    ReportMapping(reporter, mapper, System.Diagnostics.Stopwatch.GetElapsedTime(started));
                    node.AddressChanged += changed =>
                    {
                        ReportMapping(reporter, mapper, System.Diagnostics.Stopwatch.GetElapsedTime(started));
                        reporter.Event("address", new JsonObject { ["address"] = changed.ToString() });
                    };
                }
                reporter.Event("listening", new JsonObject
                {
                    ["nodeId"] = node.NodeId.ToString(),
                    ["address"] = address.ToString(),
                    ["endpoints"] = new JsonArray([.. node.ListenEndPoints.Select(e => (JsonNode)e.ToString())]),
                });
                PeerSession.ShowAddress(reporter, $"node {node.NodeId.ToShortString()}… listening on {string.Join(", ", node.ListenEndPoints)} — give this address to your peer", address.ToString());
                reporter.Say("waiting for a peer… (Ctrl-C to stop)");
                Burrow.Transport.PeerConnection accepted;
                try
                {
                    accepted = await node.AcceptAsync(ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    reporter.Event("closed", new JsonObject { ["reason"] = "interrupted" });
                    return ExitCodes.Interrupted;
                }
                return await PeerSession.RunAsync(accepted, reporter, ct);
            }
        });
        return command;
    }

    /// <summary>The `portmap` event: the mapped endpoint now in the address (elapsedMs: from node start), or why there is none.</summary>
    private static void ReportMapping(Reporter reporter, Burrow.PortMapping.PortMapSource mapper, TimeSpan sinceStart)
    {
        if (mapper.Mapping is { } mapping)
        {
            reporter.Event("portmap", new JsonObject
            {
                ["method"] = PortmapCommand.MethodName(mapping.Method),
                ["public"] = mapping.External.ToString(),
                ["internal"] = mapping.Internal.ToString(),
                ["lifetimeS"] = (int)mapping.Lifetime.TotalSeconds,
                ["elapsedMs"] = Math.Round(sinceStart.TotalMilliseconds, 1),
                ["mappingMs"] = mapper.TimeToFirstMapping is { } t ? Math.Round(t.TotalMilliseconds, 1) : null,
            });
            reporter.Say($"port mapping: {Spectre.Console.Markup.Escape(mapping.Describe())} ({sinceStart.TotalMilliseconds:0} ms after start)");
        }
        else
        {
            var result = mapper.LastResult;
            reporter.Event("portmap", new JsonObject
            {
                ["method"] = null,
                ["reason"] = result?.Reason.ToString() ?? "pending",
                ["detail"] = result?.Detail ?? "no answer yet",
                ["elapsedMs"] = Math.Round(sinceStart.TotalMilliseconds, 1),
                ["mappingMs"] = mapper.TimeToFirstResult is { } t ? Math.Round(t.TotalMilliseconds, 1) : null,
            });
            reporter.Say($"no port mapping ({Spectre.Console.Markup.Escape(result?.Detail ?? "no answer yet")})");
        }
    }
}
