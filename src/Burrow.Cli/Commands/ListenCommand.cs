using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using Burrow.Addressing;
using Burrow.Cli.Output;
using Burrow.Node;
using Burrow.Rendezvous.Client;

namespace Burrow.Cli.Commands;

/// <summary><c>burrow listen</c>: prints this node's address, accepts a peer, then behaves like netcat.</summary>
internal static class ListenCommand
{
    private static readonly TimeSpan RegistrationWait = TimeSpan.FromSeconds(5);

    private static readonly Option<int> Port = new("--port", "-p") { Description = "TCP port to listen on (0: any free port).", DefaultValueFactory = _ => 0 };
    private static readonly Option<string[]> Bind = new("--bind") { Description = "Local IP to listen on (repeatable). Default: every interface, IPv6 and IPv4.", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<string[]> Manual = new("--public") { Description = "A public IP:PORT forwarded to this node by hand (repeatable); advertised as a manual mapping." };
    private static readonly Option<bool> Portmap = new("--portmap") { Description = "Ask the gateway to forward a public port (PCP, NAT-PMP or UPnP IGD) and advertise it; deleted on exit." };
    private static readonly Option<string[]> Relay = new("--relay") { Description = "A relay HOST:PORT to advertise (repeatable): a peer that cannot connect otherwise asks this node to meet there." };
    private static readonly Option<string[]> Rendezvous = new("--rendezvous") { Description = "A rendezvous server HOST:PORT to register at (repeatable); the address then names it, so peers can signal this node." };

    public static Command Create()
    {
        var command = new Command("listen", "Print this node's address and accept one peer; then stdin goes to the peer and the peer's bytes to stdout.");
        AddListenOptions(command);
        command.SetAction((parse, ct) => ServeOneAsync(parse, new Reporter(parse.GetValue(CommonOptions.Json), Console.Error),
            (connection, reporter, token) => PeerSession.RunAsync(connection, reporter, token), ct));
        return command;
    }

    /// <summary>The options of a listening node (<c>--port</c>, <c>--bind</c>, <c>--public</c>, <c>--portmap</c>, <c>--rendezvous</c>) and their checks; shared by <c>listen</c> and <c>receive</c>.</summary>
    public static void AddListenOptions(Command command)
    {
        command.Options.Add(Port);
        command.Options.Add(Bind);
        command.Options.Add(Manual);
        command.Options.Add(Portmap);
        command.Options.Add(Rendezvous);
        command.Options.Add(Relay);
        StunOption.AddTo(command);
        command.Validators.Add(result =>
        {
            foreach (var relay in result.GetValue(Relay) ?? [])
            {
                if (!SignalEndpoint.TryParse(relay, out _))
                {
                    result.AddError($"--relay '{relay}' is not a HOST:PORT.");
                }
            }
            foreach (var ip in result.GetValue(Bind) ?? [])
            {
                if (!IPAddress.TryParse(ip, out _))
                {
                    result.AddError($"--bind '{ip}' is not an IP address.");
                }
            }
            foreach (var endpoint in result.GetValue(Manual) ?? [])
            {
                if (!IPEndPoint.TryParse(endpoint, out var parsed) || parsed.Port == 0)
                {
                    result.AddError($"--public '{endpoint}' is not an IP:PORT.");
                }
            }
            foreach (var server in result.GetValue(Rendezvous) ?? [])
            {
                if (!SignalEndpoint.TryParse(server, out _))
                {
                    result.AddError($"--rendezvous '{server}' is not a HOST:PORT.");
                }
            }
        });
    }

    /// <summary>
    /// Starts a listening node, registers it at its rendezvous servers, announces its address, accepts one
    /// authenticated peer and runs <paramref name="session"/> on it; shared by <c>listen</c> and <c>receive</c>.
    /// </summary>
    public static async Task<int> ServeOneAsync(ParseResult parse, Reporter reporter,
        Func<Burrow.Transport.PeerConnection, Reporter, CancellationToken, Task<int>> session, CancellationToken ct)
    {
        var listenPort = parse.GetValue(Port);
        if (listenPort is < 0 or > 65535)
        {
            return reporter.Fail(ExitCodes.BadInput, "usage", "--port must be between 0 and 65535.");
        }
        var binds = parse.GetValue(Bind) ?? [];
        var mapper = parse.GetValue(Portmap) ? new Burrow.PortMapping.PortMapSource() : null;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await using var cli = await CliNode.StartAsync(parse, options =>
        {
            options = options with
            {
                ManualPublicEndpoints = [.. (parse.GetValue(Manual) ?? []).Select(IPEndPoint.Parse)],
                Rendezvous = [.. (parse.GetValue(Rendezvous) ?? []).Select(s => SignalEndpoint.TryParse(s, out var e) ? e! : throw new InvalidOperationException())],
                Relays = [.. (parse.GetValue(Relay) ?? []).Select(s => SignalEndpoint.TryParse(s, out var e) ? e! : throw new InvalidOperationException())],
                Reachability = [.. StunOption.Sources(parse), .. (mapper is null ? [] : new[] { mapper })],
            };
            return binds.Length > 0 ? options with { ListenEndpoints = [.. binds.Select(ip => new IPEndPoint(IPAddress.Parse(ip), listenPort))] }
                : listenPort != 0 ? options with { ListenEndpoints = [new IPEndPoint(options.ListenEndpoints[0].Address, listenPort)] }
                : options;
        }, ct);
        var node = cli.Node;
        var registrations = await RegisterAsync(node, ct);
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
            ["rendezvous"] = new JsonArray([.. address.Rendezvous.Select(r => (JsonNode)r.ToString())]),
        });
        foreach (var (client, registered) in registrations)
        {
            reporter.Event(registered ? "registered" : "rendezvous_unreachable", new JsonObject
            {
                ["rendezvous"] = client.Server.ToString(),
                ["transport"] = client.Transport == RendezvousTransport.Datagram ? "udp" : "tls",
                ["observed"] = client.ObservedEndPoint?.ToString(),
            });
            reporter.Say(registered
                ? $"registered at rendezvous {client.Server} over {(client.Transport == RendezvousTransport.Datagram ? "UDP" : "TLS")} (seen from {client.ObservedEndPoint})"
                : $"[yellow]rendezvous {client.Server} not reachable yet[/]: still trying in the background");
        }
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
        return await session(accepted, reporter, ct);
    }

    /// <summary>Gives each rendezvous a few seconds to register the node, so that the printed address works at once.</summary>
    private static async Task<List<(RendezvousClient Client, bool Registered)>> RegisterAsync(BurrowNode node, CancellationToken ct)
    {
        var results = new List<(RendezvousClient, bool)>();
        foreach (var client in node.Rendezvous)
        {
            try
            {
                await client.WaitRegisteredAsync(ct).WaitAsync(RegistrationWait, ct);
                results.Add((client, true));
            }
            catch (TimeoutException)
            {
                results.Add((client, false));
            }
        }
        return results;
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
