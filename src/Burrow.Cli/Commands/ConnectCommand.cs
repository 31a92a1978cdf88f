using System.CommandLine;
using System.Text.Json.Nodes;
using Burrow.Addressing;
using Burrow.Cli.Output;
using Burrow.Node;

namespace Burrow.Cli.Commands;

/// <summary><c>burrow connect ADDRESS</c>: connects to a peer, then behaves like netcat.</summary>
internal static class ConnectCommand
{
    private static readonly Option<string[]> Rendezvous = new("--rendezvous")
    {
        Description = "A rendezvous server HOST:PORT to register at (repeatable): needed for reverse connect, hole punching and relay, through a rendezvous the peer's address names too.",
    };

    private static readonly Option<string?> Strategy = new("--strategy")
    {
        Description = "Use only this strategy (direct, reverse, punch, relay), for tests and diagnosis.",
    };

    private static readonly Option<double[]> UpgradeAfter = new("--upgrade-after")
    {
        Description = "If the connection ends up relayed: milliseconds before each try for a direct one to replace it (repeatable; default 1000 10000 60000). A file transfer moves there.",
    };

    public static Command Create()
    {
        var address = new Argument<string>("address") { Description = "The peer's Burrow address (burrow1…)." };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to give all strategies together.", DefaultValueFactory = _ => 10 };
        var command = new Command("connect", "Connect to a peer; then stdin goes to the peer and the peer's bytes to stdout.") { address, timeout };
        AddDialOptions(command);
        command.SetAction(async (parse, ct) =>
        {
            var reporter = new Reporter(parse.GetValue(CommonOptions.Json), Console.Error);
            if (parse.GetValue(timeout) is <= 0 or > 3600)
            {
                return reporter.Fail(ExitCodes.BadInput, "usage", "--timeout must be more than 0 and at most 3600 seconds.");
            }
            return await DialAsync(parse, reporter, parse.GetValue(address)!, parse.GetValue(timeout),
                (connection, token) => PeerSession.RunAsync(connection, reporter, token), ct);
        });
        return command;
    }

    /// <summary>The options of a dialing node (<c>--rendezvous</c>, <c>--strategy</c>); shared by <c>connect</c> and <c>send</c>.</summary>
    public static void AddDialOptions(Command command)
    {
        command.Options.Add(Rendezvous);
        command.Options.Add(Strategy);
        command.Options.Add(UpgradeAfter);
        StunOption.AddTo(command);
        command.Validators.Add(result =>
        {
            if ((result.GetValue(UpgradeAfter) ?? []).Any(ms => ms is < 0 or > 3_600_000 || double.IsNaN(ms)))
            {
                result.AddError("--upgrade-after takes milliseconds from 0 to 3600000.");
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
    /// Parses the address, starts a dialing node, connects (reporting failures with each strategy tried) and
    /// runs <paramref name="session"/> on the connection; shared by <c>connect</c> and <c>send</c>.
    /// </summary>
    public static async Task<int> DialAsync(ParseResult parse, Reporter reporter, string addressText, double timeoutSeconds,
        Func<Burrow.Transport.PeerConnection, CancellationToken, Task<int>> session, CancellationToken ct)
    {
        NodeAddress remote;
        try
        {
            remote = NodeAddress.Parse(addressText, DateTimeOffset.UtcNow);
        }
        catch (AddressFormatException e)
        {
            return reporter.Fail(ExitCodes.BadInput, e.Code, e.Message, new() { ["reason"] = e.Reason.ToString() });
        }
        SignalEndpoint[] rendezvous = [.. (parse.GetValue(Rendezvous) ?? []).Select(s => SignalEndpoint.TryParse(s, out var e) ? e! : throw new InvalidOperationException())];
        await using var cli = await CliNode.StartAsync(parse, options => options with
        {
            // A dialer needs no listener, unless a rendezvous lets the peer connect back (reverse connect).
            ListenEndpoints = rendezvous.Length > 0 ? options.ListenEndpoints : [],
            Rendezvous = rendezvous,
            Reachability = StunOption.Sources(parse),
            Connect = options.Connect with
            {
                Timeout = TimeSpan.FromSeconds(timeoutSeconds),
                UpgradeAfter = parse.GetValue(UpgradeAfter) is { Length: > 0 } delays ? [.. delays.Select(TimeSpan.FromMilliseconds)] : options.Connect.UpgradeAfter,
            },
        }, ct);
        var node = cli.Node;
        var reachable = true;
        foreach (var client in node.Rendezvous)
        {
            try
            {
                await client.WaitRegisteredAsync(ct).WaitAsync(TimeSpan.FromSeconds(5), ct);
            }
            catch (TimeoutException)
            {
                reachable = false;
                reporter.Event("rendezvous_unreachable", new JsonObject { ["rendezvous"] = client.Server.ToString() });
            }
        }
        if (reachable)
        {
            // Connect as a node that has been up a while would: clock measured, connect path warmed up (the
            // start-up of this process is not the connect's; `connected` reports the connect alone).
            try
            {
                await node.WaitReadyAsync(ct).WaitAsync(TimeSpan.FromSeconds(2), ct);
            }
            catch (TimeoutException)
            {
                // not ready in time: connect anyway
            }
        }
        reporter.Say($"connecting to [bold]{remote.NodeId.ToShortString()}…[/]");
        Burrow.Transport.PeerConnection connection;
        try
        {
            connection = await node.ConnectWithAsync(remote, parse.GetValue(Strategy), ct);
        }
        catch (ConnectFailedException e)
        {
            return reporter.Fail(ExitCodes.ConnectionFailed, e.Code, e.Message, new()
            {
                ["attempts"] = Attempts(e.Attempts),
            });
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            reporter.Event("closed", new JsonObject { ["reason"] = "interrupted" });
            return ExitCodes.Interrupted;
        }
        return await session(connection, ct);
    }

    /// <summary>What each strategy did, as the <c>attempts</c> array of the <c>connected</c> and error events.</summary>
    public static JsonArray Attempts(IEnumerable<Burrow.Connect.StrategyAttempt> attempts) =>
        new([.. attempts.Select(a => (JsonNode)new JsonObject
        {
            ["strategy"] = a.Strategy,
            ["result"] = a.Result.ToString().ToLowerInvariant(),
            ["detail"] = a.Detail,
            ["elapsedMs"] = Math.Round(a.Elapsed.TotalMilliseconds, 1),
        })]);
}
