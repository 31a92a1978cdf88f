using System.Diagnostics;

namespace Burrow.Lab.Tests;

/// <summary>
/// Burrow's own port mapping against a real miniupnpd: a node behind the router maps its port, a host on the
/// lab internet connects to the mapped endpoint and exchanges data, and once the node exits the mapping is
/// gone from miniupnpd (its nftables chain and its lease file) — 0 leaked.
/// </summary>
[Collection("portmap")]
[Trait("Category", "Lab")]
public sealed class PortMapNodeTests(PortMapLabFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("uall", "pcp")]     // all three spoken: PCP preferred
    [InlineData("unat", "natpmp")]  // NAT-PMP only
    [InlineData("upcp", "pcp")]     // PCP only
    [InlineData("uupnp", "upnp")]   // UPnP IGD v2 only (AddAnyPortMapping)
    [InlineData("uigd1", "upnp")]   // UPnP IGD v1 only (AddPortMapping)
    public async Task A_node_maps_its_port_a_peer_on_the_internet_connects_through_it_and_the_mapping_is_deleted_after(string router, string method)
    {
        var lab = fixture.Require();
        var ct = TestContext.Current.CancellationToken;
        var host = PortMapLabFixture.HostOf[router];
        var (listener, mapped, listening) = await StartMappedNodeAsync(lab, router, method, ct);
        await using var _ = listener;
        output.WriteLine($"{router} ({method}): node start -> advertised mapped endpoint {mapped.Get("public")} in {mapped.Get("elapsedMs")} ms (listening -> mapped: {mapped.Get("mappingMs")} ms)");

        await using var peer = Cli(lab, "net1", "--ephemeral", "connect", listening.Get("address")!, "--json");
        var connected = await peer.WaitForEventAsync("connected", EventTimeout, cancellationToken: ct);
        output.WriteLine(connected.ToString());
        Assert.Equal("portmap", connected.Get("strategy"));
        Assert.Equal(mapped.Get("public"), connected.Get("remote"));
        await peer.WriteLineAsync("ping from the internet");
        peer.CloseStdin();
        await listener.WriteLineAsync("pong from behind the NAT");
        listener.CloseStdin();
        var (peerExit, listenerExit) = (await peer.WaitForExitAsync(EventTimeout, ct), await listener.WaitForExitAsync(EventTimeout, ct));
        Assert.True(peerExit == 0 && listenerExit == 0,
            $"exit codes: peer {peerExit}, listener {listenerExit}\npeer:\n{peer.Transcript()}\nlistener:\n{listener.Transcript()}");
        Assert.Contains("ping from the internet", listener.StdoutLines);
        Assert.Contains("pong from behind the NAT", peer.StdoutLines);

        await AssertNoForwardsAsync(lab, router, lab[host].Ip.ToString(), listener);
        Assert.Empty(LeasesOf(lab, router, lab[host].Ip.ToString()));
    }

    [Fact]
    public async Task A_router_that_speaks_none_of_them_gives_a_clean_no_mapping_within_2_s()
    {
        var lab = fixture.Require();
        var ct = TestContext.Current.CancellationToken;
        await using var listener = Cli(lab, "a5", "--ephemeral", "listen", "--portmap", "--json");
        var none = await listener.WaitForEventAsync("portmap", EventTimeout, cancellationToken: ct);
        output.WriteLine(none.ToString());
        Assert.Null(none.Get("method") is "null" ? null : none.Get("method"));
        Assert.Equal("NoResponse", none.Get("reason"));
        // The decision is timed from the node listening (the process's own start-up on a loaded 2-core machine is not
        // port mapping); the whole node start is printed.
        output.WriteLine($"no mapping decided {none.Get("mappingMs")} ms after listening, {none.Get("elapsedMs")} ms after node start");
        Assert.True(none.GetDouble("mappingMs") < 2000, $"no mapping after {none.GetDouble("mappingMs")} ms");
        await listener.WaitForEventAsync("listening", EventTimeout, cancellationToken: ct);

        var stopwatch = Stopwatch.StartNew();
        var (exit, probe) = await lab.ExecAsync("a5", EventTimeout, "dotnet", BurrowCli.CliPath, "portmap", "probe", "--json");
        output.WriteLine($"probe: exit {exit} in {stopwatch.ElapsedMilliseconds} ms\n{string.Join('\n', probe.StderrLines)}");
        Assert.Equal(1, exit);
        Assert.All(probe.EventsNamed("probe"), p => Assert.Equal("false", p.Get("available")));
    }

    [Fact]
    public async Task A_upnp_conflict_718_makes_burrow_choose_another_external_port()
    {
        var lab = fixture.Require();
        var ct = TestContext.Current.CancellationToken;
        const int taken = 45000;
        // Another host on the LAN holds external port 45000 (IGD v1: AddPortMapping, so a clash is error 718).
        var (blockExit, block) = await lab.ExecAsync("c2", EventTimeout, "upnpc", "-i", "-e", "blocker", "-a", lab["c2"].Ip.ToString(), "5555", $"{taken}", "TCP");
        output.WriteLine(string.Join('\n', block.StdoutLines));
        Assert.Equal(0, blockExit);
        try
        {
            await using var listener = Cli(lab, "c1", "--ephemeral", "--verbose", "listen", "--portmap", "--port", $"{taken}", "--json");
            var mapped = await listener.WaitForEventAsync("portmap", EventTimeout, cancellationToken: ct);
            output.WriteLine(mapped.ToString());
            Assert.Equal("upnp", mapped.Get("method"));
            var publicPort = int.Parse(mapped.Get("public")!.Split(':')[1]);
            Assert.NotEqual(taken, publicPort);
            Assert.Contains(listener.StderrLines, line => line.Contains("refused with 718", StringComparison.Ordinal));
            Assert.Equal(1, await ForwardsAsync(lab, "uigd1", lab["c1"].Ip.ToString(), publicPort));
            Assert.Equal(1, await ForwardsAsync(lab, "uigd1", lab["c2"].Ip.ToString(), taken)); // the other host's mapping is untouched

            // burrow portmap list reads the same table over UPnP.
            var (listExit, list) = await lab.ExecAsync("c2", EventTimeout, "dotnet", BurrowCli.CliPath, "portmap", "list", "--json");
            output.WriteLine(string.Join('\n', list.StderrLines));
            Assert.Equal(0, listExit);
            var rows = list.EventsNamed("mapping").ToList();
            Assert.Contains(rows, r => r.Get("externalPort") == $"{taken}" && r.Get("internal") == $"{lab["c2"].Ip}:5555");
            Assert.Contains(rows, r => r.Get("externalPort") == $"{publicPort}" && r.Get("description") == "burrow");

            var listening = await listener.WaitForEventAsync("listening", EventTimeout, cancellationToken: ct);
            await using var peer = Cli(lab, "net1", "--ephemeral", "connect", listening.Get("address")!, "--json");
            var connected = await peer.WaitForEventAsync("connected", EventTimeout, cancellationToken: ct);
            Assert.Equal("portmap", connected.Get("strategy"));
            peer.CloseStdin();
            listener.CloseStdin();
            Assert.Equal(0, await listener.WaitForExitAsync(EventTimeout, ct));
            await AssertNoForwardsAsync(lab, "uigd1", lab["c1"].Ip.ToString(), listener);
        }
        finally
        {
            await lab.ExecAsync("c2", EventTimeout, "upnpc", "-i", "-d", $"{taken}", "TCP");
        }
    }

    [Fact]
    public async Task A_short_lease_is_renewed_and_still_present_after_3_lease_periods_then_deleted_on_ctrl_c()
    {
        var lab = fixture.Require();
        var ct = TestContext.Current.CancellationToken;
        const int lease = 3, renewed = 46000, control = 46001;
        var hostIp = lab["a3"].Ip.ToString();
        await using var holder = Cli(lab, "a3", "portmap", "add", $"{renewed}", "--lifetime", $"{lease}", "--method", "pcp", "--json");
        // Control: the same lease asked once and never renewed, to show that miniupnpd does expire it.
        await using var once = lab.RunTool("a3", "portmap.py", "pcp", "--gateway", lab["upcp"]["lan"]!,
            "--internal-port", $"{control}", "--external-port", $"{control}", "--lifetime", $"{lease}");
        var mapped = await holder.WaitForEventAsync("mapped", EventTimeout, cancellationToken: ct);
        await once.WaitForEventAsync("mapped", EventTimeout, cancellationToken: ct);
        output.WriteLine(mapped.ToString());
        Assert.Equal($"{lease}", mapped.Get("lifetimeS"));

        await Task.Delay(TimeSpan.FromSeconds(3 * lease + 1), ct);
        Assert.Equal(1, await ForwardsAsync(lab, "upcp", hostIp, renewed));
        Assert.Equal(0, await ForwardsAsync(lab, "upcp", hostIp, control));
        Assert.Empty(holder.EventsNamed("unmapped"));

        Interrupt(holder);
        var deleted = await holder.WaitForEventAsync("deleted", EventTimeout, cancellationToken: ct);
        output.WriteLine(deleted.ToString());
        Assert.Equal(130, await holder.WaitForExitAsync(EventTimeout, ct));
        await AssertNoForwardsAsync(lab, "upcp", hostIp, holder);
    }

    [Fact]
    public async Task A_node_stopped_by_sigterm_still_deletes_its_mapping()
    {
        var lab = fixture.Require();
        var ct = TestContext.Current.CancellationToken;
        var (listener, _, _) = await StartMappedNodeAsync(lab, "uall", "pcp", ct);
        await using var _ = listener;

        Signal(listener, "TERM");
        await listener.WaitForExitAsync(EventTimeout, ct);
        await AssertNoForwardsAsync(lab, "uall", lab["a1"].Ip.ToString(), listener);
    }

    /// <summary>`listen --portmap` behind <paramref name="router"/>: mapped with <paramref name="method"/> to the router's public
    /// address, listening, and forwarded by miniupnpd.</summary>
    private static async Task<(LabProcess Listener, LabEvent Mapped, LabEvent Listening)> StartMappedNodeAsync(Lab lab, string router, string method, CancellationToken ct)
    {
        var host = PortMapLabFixture.HostOf[router];
        var listener = Cli(lab, host, "--ephemeral", "listen", "--portmap", "--json");
        var mapped = await listener.WaitForEventAsync("portmap", EventTimeout, cancellationToken: ct);
        Assert.Equal(method, mapped.Get("method"));
        Assert.StartsWith($"{lab[router].Ip}:", mapped.Get("public"));
        var listening = await listener.WaitForEventAsync("listening", EventTimeout, cancellationToken: ct);
        Assert.Equal(1, await ForwardsAsync(lab, router, lab[host].Ip.ToString(), int.Parse(mapped.Get("public")!.Split(':')[1])));
        return (listener, mapped, listening);
    }

    private static LabProcess Cli(Lab lab, string host, params string[] arguments) =>
        lab.Run(host, ["dotnet", BurrowCli.CliPath, .. arguments]);

    /// <summary>Ctrl-C: SIGINT to the CLI (ip netns exec execs it, so the pid is the CLI's).</summary>
    private static void Interrupt(LabProcess process) => Signal(process, "INT");

    private static void Signal(LabProcess process, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", $"{process.Id}"]);
        kill.WaitForExit();
    }

    /// <summary>miniupnpd's forwards to <paramref name="hostIp"/> (optionally from one public port), as it put them in nftables.</summary>
    private static async Task<int> ForwardsAsync(Lab lab, string router, string hostIp, int? publicPort = null)
    {
        var (exit, list) = await lab.ExecAsync(router, TimeSpan.FromSeconds(10), "nft", "list", "chain", "inet", "lab", "upnp_prerouting");
        Assert.Equal(0, exit);
        return list.StdoutLines.Count(line => line.Contains($"dnat ip to {hostIp}:", StringComparison.Ordinal)
            && (publicPort is null || line.Contains($"dport {publicPort} ", StringComparison.Ordinal)));
    }

    /// <summary>0 leaked: no forward to the host is left; on failure, shows miniupnpd's rules and log and the CLI's output.</summary>
    private static async Task AssertNoForwardsAsync(Lab lab, string router, string hostIp, LabProcess cli)
    {
        var left = await ForwardsAsync(lab, router, hostIp);
        if (left != 0)
        {
            var (_, list) = await lab.ExecAsync(router, TimeSpan.FromSeconds(10), "nft", "list", "chain", "inet", "lab", "upnp_prerouting");
            var log = Path.Combine(lab.RunDirectory, "logs", $"{router}-miniupnpd.log");
            Assert.Fail($"{left} forwards to {hostIp} left in {router}:\n{string.Join('\n', list.StdoutLines.Take(10))}\n--- miniupnpd log\n"
                + string.Join('\n', File.Exists(log) ? File.ReadLines(log).TakeLast(40) : []) + $"\n--- CLI\n{cli.Transcript()}");
        }
    }

    /// <summary>miniupnpd's own lease file lines naming <paramref name="hostIp"/>.</summary>
    private static IReadOnlyList<string> LeasesOf(Lab lab, string router, string hostIp)
    {
        var file = Path.Combine(lab.RunDirectory, $"{router}-upnp.leases");
        return File.Exists(file) ? [.. File.ReadAllLines(file).Where(line => line.Contains(hostIp, StringComparison.Ordinal))] : [];
    }
}
