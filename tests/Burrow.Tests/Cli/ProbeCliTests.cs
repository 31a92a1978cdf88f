namespace Burrow.Tests.Cli;

/// <summary><c>burrow stun-server</c> and <c>burrow probe</c> as processes on loopback.</summary>
public sealed class ProbeCliTests
{
    [Fact(Timeout = 60_000)]
    public async Task Probe_against_a_burrow_stun_server_reports_json_events_and_a_verdict()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = CliProcess.Start("stun-server", "--listen", "127.0.0.1:0", "--alt", "127.0.0.2:0", "--json");
        var listening = await server.NextEventAsync("listening", ct);
        var primary = listening["primary"]!.GetValue<string>();
        Assert.Equal(4, listening["endpoints"]!.AsArray().Count);

        await using var probe = CliProcess.Start("probe", "--server", primary, "--json");
        var probed = await probe.NextEventAsync("probed", ct);
        var verdict = await probe.NextEventAsync("verdict", ct);
        Assert.Equal(0, await probe.WaitForExitAsync(ct));

        Assert.Equal("ipv4", probed["family"]!.GetValue<string>());
        Assert.Equal("open", probed["tcp"]!["mapping"]!.GetValue<string>());
        Assert.Equal("open", probed["tcp"]!["filtering"]!.GetValue<string>());
        Assert.Equal("endpoint-independent", probed["udp"]!["rfc5780Filtering"]!.GetValue<string>());
        Assert.Equal("reachable directly", verdict["connectivity"]!.GetValue<string>());
        Assert.True(verdict["elapsedMs"]!.GetValue<double>() > 0);
    }

    [Fact(Timeout = 60_000)]
    public async Task Probe_with_no_server_answering_exits_1_with_probe_failed()
    {
        var ct = TestContext.Current.CancellationToken;
        // nothing listens on port 1 of loopback: TCP is refused at once, UDP waits out the flow timeout
        await using var probe = CliProcess.Start("probe", "--server", "127.0.0.1:1", "--json");
        var probed = await probe.NextEventAsync("probed", ct);
        Assert.Equal("unknown", probed["tcp"]!["mapping"]!.GetValue<string>());
        Assert.Equal("needs relay", (await probe.NextEventAsync("verdict", ct))["connectivity"]!.GetValue<string>());
        Assert.Equal("probe_failed", (await probe.NextEventAsync("error", ct))["code"]!.GetValue<string>());
        Assert.Equal(1, await probe.WaitForExitAsync(ct));
    }

    [Theory(Timeout = 60_000)]
    [InlineData("probe")]
    [InlineData("probe", "--server", "nonsense")]
    [InlineData("probe", "--server", "127.0.0.1:1", "--local-port", "70000")]
    [InlineData("stun-server", "--listen", "127.0.0.1")]
    [InlineData("stun-server", "--listen", "127.0.0.1:3478", "--alt", "127.0.0.1:3479")]
    public async Task Bad_usage_exits_2_with_a_usage_error(params string[] args)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cli = CliProcess.Start([.. args, "--json"]);
        var error = await cli.NextEventAsync("error", ct);
        Assert.Equal("usage", error["code"]!.GetValue<string>());
        Assert.Equal(2, await cli.WaitForExitAsync(ct));
    }
}
