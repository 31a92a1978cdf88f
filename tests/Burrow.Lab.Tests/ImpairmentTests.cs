namespace Burrow.Lab.Tests;

/// <summary>
/// Per-router WAN impairment (delay on both directions of the WAN; loss on each direction):
/// tc netem where the kernel has it, else an NFQUEUE delayer and an nft loss rule.
/// </summary>
[Collection("lab")]
[Trait("Category", "Lab")]
public sealed class ImpairmentTests(LabFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Delay_slows_every_round_trip_through_the_router()
    {
        var lab = fixture.Require();
        var ct = TestContext.Current.CancellationToken;
        output.WriteLine($"slow router impairment: {lab["slow"]["impairment"]}");
        var slow = await ConnectTimesAsync(lab, "slow1", ct);
        var fast = await ConnectTimesAsync(lab, "home1", ct);
        output.WriteLine($"TCP connect times: slow [{string.Join(", ", slow)}] ms, unimpaired [{string.Join(", ", fast)}] ms");

        // delay=100 on both directions of the WAN: a SYN / SYN-ACK round trip takes >= 200 ms
        Assert.All(slow, ms => Assert.InRange(ms, 195, 1000));
        Assert.All(fast, ms => Assert.InRange(ms, 0, 50));
    }

    [Fact]
    public async Task Loss_drops_about_the_configured_share_each_way()
    {
        var lab = fixture.Require();
        await using var probe = lab.RunTool("lossy1", "labprobe.py", "udp-loss", $"{lab.Server.Ip}:{NatProbe.EchoPort1}", "--count", "400");
        var stats = await probe.WaitForEventAsync("stats", TimeSpan.FromSeconds(30), cancellationToken: TestContext.Current.CancellationToken);
        output.WriteLine(stats.ToString());
        // 30 % each way: 0.7 * 0.7 = 49 % of the echoes come back (400 tries: well inside 35-63 %)
        var share = stats.GetDouble("received") / stats.GetDouble("sent");
        Assert.InRange(share, 0.35, 0.63);
    }

    private async Task<List<double>> ConnectTimesAsync(Lab lab, string host, CancellationToken ct)
    {
        await using var probe = lab.RunTool(host, "labprobe.py", ["map", "--local-port", $"{fixture.NextPort()}", .. NatProbe.EchoTargets(lab)]);
        await probe.WaitForEventAsync("done", TimeSpan.FromSeconds(20), cancellationToken: ct);
        Assert.Empty(probe.EventsNamed("error"));
        return probe.EventsNamed("mapped").Select(e => e.GetDouble("rtt_ms")).ToList();
    }
}
