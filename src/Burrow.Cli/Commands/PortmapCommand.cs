using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Burrow.Addressing;
using Burrow.Cli.Output;
using Burrow.PortMapping;
using Burrow.PortMapping.Upnp;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Burrow.Cli.Commands;

/// <summary><c>burrow portmap probe | add | list</c>: ask the gateway for port mappings by PCP, NAT-PMP or UPnP IGD.</summary>
internal static class PortmapCommand
{
    private static readonly Option<string?> Gateway = new("--gateway")
    {
        Description = "The gateway to ask. Default: the default route's gateway.",
        Recursive = true,
    };

    public static Command Create()
    {
        var command = new Command("portmap", "Port mappings on the gateway: which protocols it speaks, add one (held until Ctrl-C), list UPnP's table.")
        {
            Probe(), Add(), List(),
        };
        command.Options.Add(Gateway);
        return command;
    }

    private static Command Probe()
    {
        var command = new Command("probe", "Which of PCP, NAT-PMP and UPnP IGD the gateway speaks, its external address, and how long each took.");
        command.SetAction(async (parse, ct) =>
        {
            var reporter = new Reporter(parse.GetValue(CommonOptions.Json), Console.Error);
            if (!TryGateway(parse, reporter, out var gateway, out var exit))
            {
                return exit;
            }
            using var logging = NodeFactory.Logging(parse);
            var mappers = new GatewayMappers(gateway, new PortMapOptions(), logging.CreateLogger("Burrow.PortMapping"));
            var probes = await mappers.ProbeAllAsync(ct);
            var table = new Table().AddColumns("protocol", "answers", "external address", "ms", "detail");
            foreach (var probe in probes)
            {
                reporter.Event("probe", new JsonObject
                {
                    ["method"] = MethodName(probe.Method),
                    ["available"] = probe.Available,
                    ["elapsedMs"] = Math.Round(probe.Elapsed.TotalMilliseconds, 1),
                    ["externalAddress"] = probe.ExternalAddress?.ToString(),
                    ["epoch"] = probe.Epoch,
                    ["reason"] = probe.Available ? null : probe.Reason.ToString(),
                    ["detail"] = probe.Detail,
                });
                table.AddRow(MethodName(probe.Method), probe.Available ? "[green]yes[/]" : "no", probe.ExternalAddress?.ToString() ?? "",
                    $"{probe.Elapsed.TotalMilliseconds:0.0}", Markup.Escape(probe.Detail));
            }
            var best = probes.FirstOrDefault(p => p.Available);
            reporter.Event("gateway", new JsonObject
            {
                ["gateway"] = gateway.ToString(),
                ["best"] = best is null ? null : MethodName(best.Method),
                ["externalAddress"] = probes.Select(p => p.ExternalAddress).FirstOrDefault(a => a is not null)?.ToString(),
            });
            if (!reporter.Json)
            {
                reporter.Say($"gateway {gateway}");
                reporter.Human.Write(table);
            }
            return best is null ? ExitCodes.ConnectionFailed : ExitCodes.Success;
        });
        return command;
    }

    private static Command Add()
    {
        var port = new Argument<int>("PORT") { Description = "The local port to forward to." };
        var protocol = new Option<string>("--protocol") { Description = "tcp or udp.", DefaultValueFactory = _ => "tcp" };
        var lifetime = new Option<int>("--lifetime") { Description = "Lease to ask for, in seconds (renewed before half of it passes).", DefaultValueFactory = _ => 7200 };
        var method = new Option<string?>("--method") { Description = "Use only this protocol: upnp, natpmp or pcp. Default: the best the gateway speaks (PCP, then NAT-PMP, then UPnP)." };
        var command = new Command("add", "Map a public port to PORT on this host, hold it (renewing) until Ctrl-C, then delete it.")
        {
            port, protocol, lifetime, method,
        };
        command.SetAction(async (parse, ct) =>
        {
            var reporter = new Reporter(parse.GetValue(CommonOptions.Json), Console.Error);
            var internalPort = parse.GetValue(port);
            var proto = parse.GetValue(protocol)?.ToLowerInvariant();
            var seconds = parse.GetValue(lifetime);
            var methodText = parse.GetValue(method)?.ToLowerInvariant();
            if (internalPort is < 1 or > 65535)
            {
                return reporter.Fail(ExitCodes.BadInput, "usage", "PORT must be between 1 and 65535.");
            }
            if (proto is not ("tcp" or "udp"))
            {
                return reporter.Fail(ExitCodes.BadInput, "usage", "--protocol must be tcp or udp.");
            }
            if (seconds is < 1 or > 604800)
            {
                return reporter.Fail(ExitCodes.BadInput, "usage", "--lifetime must be between 1 and 604800 seconds.");
            }
            MappingMethod? only = methodText switch
            {
                null => null,
                "upnp" => MappingMethod.Upnp,
                "natpmp" => MappingMethod.NatPmp,
                "pcp" => MappingMethod.Pcp,
                _ => MappingMethod.None,
            };
            if (only == MappingMethod.None)
            {
                return reporter.Fail(ExitCodes.BadInput, "usage", "--method must be upnp, natpmp or pcp.");
            }
            if (!TryGateway(parse, reporter, out var gateway, out var exit))
            {
                return exit;
            }
            using var logging = NodeFactory.Logging(parse);
            var logger = logging.CreateLogger("Burrow.PortMapping");
            var options = new PortMapOptions { Lifetime = TimeSpan.FromSeconds(seconds) };
            if (only is { } m)
            {
                options = options with { Methods = [m] };
            }
            var request = new PortMapRequest(proto == "udp" ? PortMapProtocol.Udp : PortMapProtocol.Tcp, internalPort, options.Lifetime) { Description = options.Description };
            var started = Stopwatch.GetTimestamp();
            await using var keeper = new MappingKeeper(new GatewayMappers(gateway, options, logger), request, options, logger);
            var firstReported = false;
            keeper.Changed += mapping =>
            {
                if (Volatile.Read(ref firstReported))
                {
                    Report(reporter, mapping, Stopwatch.GetElapsedTime(started), "remapped");
                }
            };
            keeper.Start();
            await keeper.FirstAttempt.WaitAsync(ct).ConfigureAwait(false);
            if (keeper.Mapping is not { } first)
            {
                var result = keeper.LastResult;
                return reporter.Fail(ExitCodes.ConnectionFailed, "no_mapping", $"No mapping: {result?.Detail}",
                    new JsonObject { ["reason"] = result?.Reason.ToString() });
            }
            Report(reporter, first, Stopwatch.GetElapsedTime(started), "mapped");
            Volatile.Write(ref firstReported, true);
            reporter.Say("holding the mapping (renewing it) — Ctrl-C to delete it and exit");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }
            var held = keeper.Mapping;
            await keeper.DisposeAsync();
            reporter.Event("deleted", new JsonObject { ["external"] = held?.External.ToString(), ["method"] = held is null ? null : MethodName(held.Method) });
            reporter.Say($"deleted {held?.Describe()}");
            return ExitCodes.Interrupted;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "The gateway's UPnP port-mapping table (mappings made by NAT-PMP and PCP show there too on miniupnpd).");
        command.SetAction(async (parse, ct) =>
        {
            var reporter = new Reporter(parse.GetValue(CommonOptions.Json), Console.Error);
            if (!TryGateway(parse, reporter, out var gateway, out var exit))
            {
                return exit;
            }
            using var logging = NodeFactory.Logging(parse);
            var options = new PortMapOptions();
            var client = new UpnpClient(gateway, [new IPEndPoint(gateway, SsdpCodec.Port), new IPEndPoint(SsdpCodec.MulticastAddress, SsdpCodec.Port)], options, logging.CreateLogger("Burrow.PortMapping"));
            IReadOnlyList<UpnpTableEntry> entries;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                entries = await client.ListAsync(timeout.Token);
            }
            catch (Exception e) when (e is PortMapFormatException or HttpRequestException or OperationCanceledException)
            {
                return reporter.Fail(ExitCodes.ConnectionFailed, "no_upnp", $"The gateway's UPnP table could not be read: {e.Message}");
            }
            var table = new Table().AddColumns("protocol", "external port", "internal", "lease s", "description");
            foreach (var entry in entries)
            {
                reporter.Event("mapping", new JsonObject
                {
                    ["protocol"] = entry.Protocol.ToLowerInvariant(),
                    ["externalPort"] = entry.ExternalPort,
                    ["internal"] = $"{entry.InternalClient}:{entry.InternalPort}",
                    ["leaseS"] = entry.LeaseSeconds,
                    ["description"] = entry.Description,
                });
                table.AddRow(entry.Protocol, $"{entry.ExternalPort}", $"{entry.InternalClient}:{entry.InternalPort}", $"{entry.LeaseSeconds}", Markup.Escape(entry.Description));
            }
            reporter.Event("listed", new JsonObject { ["gateway"] = gateway.ToString(), ["count"] = entries.Count });
            if (!reporter.Json)
            {
                reporter.Human.Write(table);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The `mapped`/`remapped` event (and sentence) for a mapping; a lost mapping reports `unmapped`.</summary>
    internal static void Report(Reporter reporter, PortMapping.PortMapping? mapping, TimeSpan elapsed, string name)
    {
        if (mapping is null)
        {
            reporter.Event("unmapped", new JsonObject { ["elapsedMs"] = Math.Round(elapsed.TotalMilliseconds, 1) });
            reporter.Say("[yellow]the mapping was lost[/]; retrying");
            return;
        }
        reporter.Event(name, new JsonObject
        {
            ["method"] = MethodName(mapping.Method),
            ["protocol"] = mapping.Protocol.ToString().ToLowerInvariant(),
            ["internal"] = mapping.Internal.ToString(),
            ["external"] = mapping.External.ToString(),
            ["lifetimeS"] = (int)mapping.Lifetime.TotalSeconds,
            ["permanent"] = mapping.Permanent,
            ["elapsedMs"] = Math.Round(elapsed.TotalMilliseconds, 1),
        });
        reporter.Say($"{name}: {Markup.Escape(mapping.Describe())} after {elapsed.TotalMilliseconds:0} ms");
    }

    internal static string MethodName(MappingMethod method) => method.ToString().ToLowerInvariant();

    private static bool TryGateway(ParseResult parse, Reporter reporter, out IPAddress gateway, out int exit)
    {
        var text = parse.GetValue(Gateway);
        exit = ExitCodes.Success;
        if (text is not null)
        {
            if (IPAddress.TryParse(text, out gateway!))
            {
                return true;
            }
            exit = reporter.Fail(ExitCodes.BadInput, "usage", $"--gateway '{text}' is not an IP address.");
            return false;
        }
        if (DefaultGateway.Find() is { } found)
        {
            gateway = found;
            return true;
        }
        gateway = IPAddress.None;
        exit = reporter.Fail(ExitCodes.ConnectionFailed, "no_gateway", "No default gateway in the routing table; give one with --gateway.");
        return false;
    }
}
