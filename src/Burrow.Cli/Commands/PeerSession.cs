using System.Diagnostics;
using System.Text.Json.Nodes;
using Burrow.Cli.Output;
using Burrow.Relay;
using Burrow.Transport;
using Spectre.Console;

namespace Burrow.Cli.Commands;

/// <summary>What <c>listen</c> and <c>connect</c> do once a peer is connected: report it, pump bytes, report the close.</summary>
internal static class PeerSession
{
    public static async Task<int> RunAsync(PeerConnection connection, Reporter reporter, CancellationToken cancellationToken)
    {
        var peer = connection.RemoteId.ToString();
        ReportConnected(connection, reporter);
        var session = Stopwatch.StartNew();
        try
        {
            var (sent, received) = await NetcatPump.RunAsync(connection, Console.OpenStandardInput(), Console.OpenStandardOutput(), cancellationToken);
            reporter.Event("closed", new JsonObject
            {
                ["peer"] = peer,
                ["bytesSent"] = sent,
                ["bytesReceived"] = received,
                ["durationMs"] = Math.Round(session.Elapsed.TotalMilliseconds, 1),
                ["reason"] = "both directions closed",
            });
            reporter.Say($"closed: sent {sent} bytes, received {received} bytes in {session.Elapsed.TotalSeconds:F1} s");
            return ExitCodes.Success;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            reporter.Event("closed", new JsonObject { ["peer"] = peer, ["reason"] = "interrupted" });
            reporter.Say("[yellow]interrupted[/]");
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is IOException or BurrowException)
        {
            return reporter.Fail(ExitCodes.ConnectionFailed, "connection_lost", $"The connection to {connection.RemoteId.ToShortString()}… broke: {e.Message}");
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }

    /// <summary>The <c>connected</c> event and its sentence.</summary>
    public static void ReportConnected(PeerConnection connection, Reporter reporter)
    {
        reporter.Event("connected", new JsonObject
        {
            ["peer"] = connection.RemoteId.ToString(),
            ["strategy"] = connection.Strategy,
            ["elapsedMs"] = Math.Round(connection.Elapsed.TotalMilliseconds, 1),
            ["remote"] = connection.RemoteEndPoint.ToString(),
            ["local"] = connection.LocalEndPoint.ToString(),
            ["direction"] = connection.IsInitiator ? "outbound" : "inbound",
            ["attempts"] = ConnectCommand.Attempts(connection.Attempts),
            ["relay"] = connection.Relay is { } limits ? Limits(limits) : null,
        });
        reporter.Say($"[green]connected[/] to [bold]{connection.RemoteId.ToShortString()}…[/] at {connection.RemoteEndPoint} via [bold]{connection.Strategy}[/] in {connection.Elapsed.TotalMilliseconds:F1} ms");
        if (connection.Relay is { } relay)
        {
            var idle = relay.MaxIdle == Timeout.InfiniteTimeSpan ? "" : $", ends after {relay.MaxIdle.TotalSeconds:0} s without a byte";
            reporter.Say($"[yellow]relayed[/]: up to {relay.MaxBytes / (1024.0 * 1024):0.#} MiB each way for {relay.MaxDuration.TotalMinutes:0.#} min{idle}");
        }
    }

    /// <summary>A relayed connection's limits, as the <c>connected</c> event carries them.</summary>
    private static JsonObject Limits(RelayLimits limits) => new()
    {
        ["maxBytes"] = limits.MaxBytes,
        ["maxSeconds"] = limits.MaxDuration.TotalSeconds,
        ["maxIdleSeconds"] = limits.MaxIdle == Timeout.InfiniteTimeSpan ? null : limits.MaxIdle.TotalSeconds,
    };

    public static void ShowAddress(Reporter reporter, string title, string address)
    {
        if (!reporter.Json)
        {
            reporter.Human.Write(new Panel(new Text(address)).Header(title).Border(BoxBorder.Rounded).Expand());
        }
    }
}
