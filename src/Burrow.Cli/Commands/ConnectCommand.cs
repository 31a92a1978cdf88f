using System.CommandLine;
using System.Text.Json.Nodes;
using Burrow.Addressing;
using Burrow.Cli.Output;
using Burrow.Node;

namespace Burrow.Cli.Commands;

/// <summary><c>burrow connect ADDRESS</c>: connects to a peer, then behaves like netcat.</summary>
internal static class ConnectCommand
{
    public static Command Create()
    {
        var address = new Argument<string>("address") { Description = "The peer's Burrow address (burrow1…)." };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to give all strategies together.", DefaultValueFactory = _ => 10 };
        var command = new Command("connect", "Connect to a peer; then stdin goes to the peer and the peer's bytes to stdout.") { address, timeout };
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
        await using var cli = await CliNode.StartAsync(parse, options => options with
        {
            ListenEndpoints = [], // a dialer needs no listener
            Connect = options.Connect with { Timeout = TimeSpan.FromSeconds(timeoutSeconds) },
        }, ct);
        var node = cli.Node;
        reporter.Say($"connecting to [bold]{remote.NodeId.ToShortString()}…[/]");
        Burrow.Transport.PeerConnection connection;
        try
        {
            connection = await node.ConnectAsync(remote, ct);
        }
        catch (ConnectFailedException e)
        {
            return reporter.Fail(ExitCodes.ConnectionFailed, e.Code, e.Message, new()
            {
                ["attempts"] = new JsonArray([.. e.Attempts.Select(a => (JsonNode)new JsonObject
                {
                    ["strategy"] = a.Strategy,
                    ["result"] = a.Result.ToString().ToLowerInvariant(),
                    ["detail"] = a.Detail,
                    ["elapsedMs"] = Math.Round(a.Elapsed.TotalMilliseconds, 1),
                })]),
            });
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            reporter.Event("closed", new JsonObject { ["reason"] = "interrupted" });
            return ExitCodes.Interrupted;
        }
        return await session(connection, ct);
    }
}
