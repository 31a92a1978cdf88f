using System.Net;
using System.Text.Json;

namespace Burrow.Lab.Tests;

/// <summary>
/// <c>burrow probe --json</c>, run on a host behind each lab router type against Burrow's STUN server on the
/// lab server, must report the mapping and filtering that type has (as <see cref="NatBehaviour"/> declares and
/// <see cref="RouterBehaviourTests"/> measures with the Python tools) — ten times in a row, the same verdict.
/// </summary>
[Collection("lab")]
[Trait("Category", "Lab")]
public sealed class BurrowProbeTests(LabFixture fixture, ITestOutputHelper output)
{
    private const int Repeats = 10;

    /// <summary>Each type: TCP mapping, delta, TCP filtering, UDP filtering, one-line verdict.</summary>
    public static TheoryData<string, string, int?, string, string, string> Types => new()
    {
        { RouterTypes.Open, "open", null, "open", "open", "reachable directly" },
        { RouterTypes.Firewall, "open", null, "drops", "drops", "punchable" },
        { RouterTypes.NatDrop, "port-preserving", null, "drops", "drops", "punchable" },
        { RouterTypes.NatRst, "port-preserving", null, "resets", "drops", "punchable" },
        { RouterTypes.Symmetric, "random", null, "drops", "drops", "needs relay" },
        { RouterTypes.Double, "port-preserving", null, "drops", "drops", "punchable" },
        { RouterTypes.Sequential, "sequential", 1, "drops", "drops", "punchable" },
        { RouterTypes.FullCone, "port-preserving", null, "open", "open", "reachable directly" },
    };

    [Theory]
    [MemberData(nameof(Types))]
    public async Task Probe_reports_the_router_types_mapping_and_filtering_ten_times_in_a_row(
        string type, string mapping, int? delta, string tcpFiltering, string udpFiltering, string connectivity)
    {
        var lab = fixture.Require();
        var ct = TestContext.Current.CancellationToken;
        var router = LabFixture.RouterOfType[type];
        var host = router + "1";
        var expectedPublic = mapping == "open" ? lab[host].Ip : lab[router].Ip;
        await using var server = await BurrowCli.StartStunServerAsync(lab, ct);

        var verdicts = new List<string>();
        var times = new List<double>();
        var processTimes = new List<double>();
        for (var run = 0; run < Repeats; run++)
        {
            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            var (probed, verdict) = await ProbeAsync(lab, host, $"{lab.Server.Ip}:{BurrowCli.StunPort}", ct);
            processTimes.Add(stopwatch.Elapsed.TotalMilliseconds);
            var tcp = probed.GetProperty("tcp");
            var udp = probed.GetProperty("udp");
            var summary = $"tcp {Text(tcp, "mapping")}{Delta(tcp)}/{Text(tcp, "filtering")} udp {Text(udp, "mapping")}{Delta(udp)}/{Text(udp, "filtering")} -> {Text(verdict, "connectivity")}";
            output.WriteLine($"{type} run {run + 1}: {summary} in {verdict.GetProperty("elapsedMs").GetDouble()} ms; tcp flows {tcp.GetProperty("probes").GetArrayLength()}, udp flows {udp.GetProperty("probes").GetArrayLength()}");

            Assert.Equal(mapping, Text(tcp, "mapping"));
            Assert.Equal(delta, tcp.GetProperty("delta").ValueKind == JsonValueKind.Null ? null : tcp.GetProperty("delta").GetInt32());
            Assert.Equal(tcpFiltering, Text(tcp, "filtering"));
            Assert.Equal(mapping, Text(udp, "mapping"));  // the lab maps UDP like TCP
            Assert.Equal(udpFiltering, Text(udp, "filtering"));
            Assert.Equal(connectivity, Text(verdict, "connectivity"));
            Assert.Equal(expectedPublic.ToString(), Text(tcp, "publicAddress"));
            Assert.Equal(expectedPublic.ToString(), Text(udp, "publicAddress"));
            verdicts.Add(summary);
            times.Add(verdict.GetProperty("elapsedMs").GetDouble());
        }
        Assert.Single(verdicts.Distinct());
        times.Sort();
        processTimes.Sort();
        // the probe itself (its verdict event's elapsedMs), and the whole `burrow probe` process (start-up included)
        output.WriteLine($"{type}: full probe time over {Repeats} runs: median {Median(times):F1} ms, max {times[^1]:F1} ms; " +
                         $"whole process: median {Median(processTimes):F1} ms, max {processTimes[^1]:F1} ms");
    }

    [Theory]
    [InlineData("cone", true)]
    [InlineData("nohp", false)]
    [InlineData("home", false)]
    [InlineData("open", null)]
    public async Task Probe_reports_hairpinning_where_the_router_does_it(string router, bool? hairpin)
    {
        var lab = fixture.Require();
        var ct = TestContext.Current.CancellationToken;
        await using var server = await BurrowCli.StartStunServerAsync(lab, ct);
        var (probed, _) = await ProbeAsync(lab, router + "1", $"{lab.Server.Ip}:{BurrowCli.StunPort}", ct);
        output.WriteLine(probed.GetRawText());
        var seen = probed.GetProperty("hairpin");
        Assert.Equal(hairpin, seen.ValueKind == JsonValueKind.Null ? null : seen.GetBoolean());
    }

    [Fact]
    public async Task Burrow_client_gets_correct_mapped_addresses_from_coturn_over_udp_and_tcp()
    {
        var lab = fixture.Require();
        var ct = TestContext.Current.CancellationToken;
        var host = LabFixture.RouterOfType[RouterTypes.NatDrop] + "1";
        var router = lab[LabFixture.RouterOfType[RouterTypes.NatDrop]];
        var (probed, _) = await ProbeAsync(lab, host, $"{lab.Server.Ip}:3478", ct);
        output.WriteLine(probed.GetRawText());

        foreach (var protocol in new[] { "tcp", "udp" })
        {
            var probes = probed.GetProperty(protocol).GetProperty("probes").EnumerateArray().ToList();
            var first = probes[0];
            Assert.Equal($"{lab.Server.Ip}:3478", Text(first, "server"));
            // port-preserving NAT: coturn saw the router's public address and the host's own port
            var local = IPEndPoint.Parse(Text(first, "local")!);
            Assert.Equal(new IPEndPoint(router.Ip, local.Port).ToString(), Text(first, "mapped"));
            Assert.Equal(lab[host].Ip, local.Address);
        }
        // coturn knows no connect-back: TCP filtering stays unknown rather than guessed
        Assert.Equal("unknown", Text(probed.GetProperty("tcp"), "filtering"));
    }

    [Fact]
    public async Task Coturns_stun_client_gets_correct_answers_from_burrows_server()
    {
        var lab = fixture.Require();
        LabEnvironment.Require("turnutils_stunclient");  // coturn's client, from the coturn package
        var ct = TestContext.Current.CancellationToken;
        await using var server = await BurrowCli.StartStunServerAsync(lab, ct);
        // a host on the internet, so all three RFC 5780 answers (from both addresses and ports) get back
        var (exit, client) = await lab.ExecAsync("net1", TimeSpan.FromSeconds(20), "turnutils_stunclient", "-p", $"{BurrowCli.StunPort}", lab.Server.Ip.ToString());
        var text = string.Join('\n', client.StdoutLines);
        output.WriteLine(text);

        Assert.Equal(0, exit);
        Assert.Contains("RFC 5780 response 3", text);
        Assert.Contains($"UDP reflexive addr: {lab["net1"].Ip}:", text);
        Assert.Contains($"Response origin: : {lab.Server.Ip}:{BurrowCli.StunPort}", text);
        Assert.Contains($"Response origin: : {lab.Server.Ip2}:{BurrowCli.StunAltPort}", text);
        Assert.Contains($"Other addr: : {lab.Server.Ip2}:{BurrowCli.StunAltPort}", text);
    }

    [Fact]
    public async Task Coturns_stun_client_behind_a_nat_sees_the_routers_public_address_from_burrows_server()
    {
        var lab = fixture.Require();
        LabEnvironment.Require("turnutils_stunclient");
        var ct = TestContext.Current.CancellationToken;
        await using var server = await BurrowCli.StartStunServerAsync(lab, ct);
        var router = LabFixture.RouterOfType[RouterTypes.NatDrop];
        // the first answer comes back; the NAT drops those from the other address, so the client would wait on
        var (_, client) = await lab.ExecAsync(router + "1", TimeSpan.FromSeconds(20), "timeout", "3", "turnutils_stunclient", "-p", $"{BurrowCli.StunPort}", lab.Server.Ip.ToString());
        var text = string.Join('\n', client.StdoutLines);
        output.WriteLine(text);
        Assert.Contains($"UDP reflexive addr: {lab[router].Ip}:", text);
    }

    private static async Task<(JsonElement Probed, JsonElement Verdict)> ProbeAsync(Lab lab, string host, string server, CancellationToken ct)
    {
        await using var probe = BurrowCli.Run(lab, host, "probe", "--server", server, "--json");
        var exit = await probe.WaitForExitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.True(exit == 0, $"burrow probe exited {exit}\n{probe.Transcript()}");
        return (probe.EventsNamed("probed").Single().Json, probe.EventsNamed("verdict").Single().Json);
    }

    private static string? Text(JsonElement element, string property) =>
        element.GetProperty(property).ValueKind == JsonValueKind.Null ? null : element.GetProperty(property).GetString();

    private static string Delta(JsonElement protocol) =>
        protocol.GetProperty("delta").ValueKind == JsonValueKind.Null ? "" : $"({protocol.GetProperty("delta").GetInt32():+0;-0})";

    private static double Median(List<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}
