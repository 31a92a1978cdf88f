using System.Globalization;
using System.Net;

namespace Burrow.Lab.Tests;

/// <summary>
/// <c>burrow listen --rendezvous</c> on one lab host and <c>burrow connect --rendezvous</c> on another, through
/// real Linux NATs: the connection must come up, by the strategy the pair calls for, and be authenticated.
/// </summary>
[Collection("connect")]
[Trait("Category", "Lab")]
public sealed class ConnectLabTests(ConnectLabFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(40);

    [Theory]
    // Every run must connect; at least `minimum` of the runs by `strategy` (the birthday technique meets the
    // random NAT with a probability of about 99.97 % per punch by design; those rows still allow a relayed run or two).
    [InlineData("net1", "home1a", "direct", false, 3, 3)]   // a public listener: dialed directly
    [InlineData("home1a", "home2a", "punch", false, 3, 3)]  // two port-preserving NATs that drop: simultaneous open
    [InlineData("rst1a", "home1a", "punch", false, 3, 3)]   // the listener's NAT resets early SYNs: retried within the window
    [InlineData("home2a", "dbl1a", "punch", false, 3, 3)]   // a dialer behind a double NAT
    [InlineData("sym1a", "sym2a", "relay", false, 3, 3)]    // both random-port NATs: only the relay is left
    [InlineData("home1a", "sym1a", "punch", true, 5, 3)]    // profiled: random dialer vs port-preserving listener, birthday technique
    [InlineData("sym2a", "home2a", "punch", true, 5, 3)]    // and the other way round
    [InlineData("sym1a", "sym2a", "relay", true, 3, 3)]     // profiled as both random: the plan goes to the relay at once
    [InlineData("rst1a", "sym1a", "punch", true, 5, 3)]     // birthday against an easy side that resets: the easy side sprays first
    [InlineData("home1a", "seq1a", "punch", true, 3, 3)]    // a sequential dialer offers the ports after the one its NAT just gave it
    [InlineData("seq1a", "home2a", "punch", true, 3, 3)]    // and so does a sequential listener in its answer
    [InlineData("home1a", "home2a", "punch", false, 3, 3, true)]  // both nodes on the rendezvous by datagram, through their NATs' UDP mappings
    [InlineData("home1a", "sym1a", "punch", true, 5, 3, true)]    // and the birthday punch signaled that way (a birthday may miss: 3 of 5, as above)
    public async Task Peers_behind_lab_nats_connect_by_the_expected_strategy(string listenerHost, string dialerHost, string strategy, bool profiled,
        int runs, int minimum, bool datagram = false)
    {
        var lab = fixture.Require();
        var ct = TestContext.Current.CancellationToken;
        var times = new List<double>();
        var strategies = new List<string?>();
        for (var run = 0; run < runs; run++)
        {
            string[] stun = profiled ? ["--stun", fixture.StunEndpoint] : [];
            string[] udp = datagram ? ["--rendezvous-udp"] : [];
            var (listening, connected, accepted) = await ConnectOnceAsync(lab, listenerHost, dialerHost, [.. stun, .. udp], ct);
            var elapsed = double.Parse(connected.Get("elapsedMs")!, CultureInfo.InvariantCulture);
            times.Add(elapsed);
            output.WriteLine($"{dialerHost} -> {listenerHost}{(profiled ? " (profiled)" : "")}{(datagram ? " (datagram rendezvous)" : "")} run {run + 1}: {connected.Get("strategy")} in {elapsed} ms, {connected.Get("local")} -> {connected.Get("remote")}"
                + (connected.Get("strategy") == strategy ? "" : $"; attempts: {connected.Get("attempts")}"));

            strategies.Add(connected.Get("strategy"));
            Assert.Equal(listening.Get("nodeId"), connected.Get("peer"));
            Assert.Equal(connected.Get("strategy") == "direct" ? "accepted" : connected.Get("strategy"), accepted.Get("strategy"));
        }
        times.Sort();
        output.WriteLine($"{dialerHost} -> {listenerHost}{(profiled ? " (profiled)" : "")}: {string.Join(", ", strategies)}; median {times[times.Count / 2]} ms, max {times[^1]} ms over {runs} runs");
        Assert.True(strategies.Count(s => s == strategy) >= minimum, $"{strategy} in only {strategies.Count(s => s == strategy)} of {runs} runs: {string.Join(", ", strategies)}");
    }

    [Fact]
    public async Task Two_random_nats_that_also_route_ipv6_punch_over_ipv6_through_both_firewalls()
    {
        // Over IPv4 these two are random <-> random (profiled: the plan would go to the relay at once); over IPv6 there
        // is no NAT, only two firewalls that drop unsolicited SYNs, so a simultaneous open from the punch port works.
        var lab = fixture.Require();
        var ct = TestContext.Current.CancellationToken;
        for (var run = 0; run < 3; run++)
        {
            var (_, connected, accepted) = await ConnectOnceAsync(lab, "six2a", "six1a", ["--stun", fixture.StunEndpoint], ct);
            output.WriteLine($"six1a -> six2a run {run + 1}: {connected.Get("strategy")} in {connected.Get("elapsedMs")} ms, {connected.Get("local")} -> {connected.Get("remote")}");
            Assert.Equal("punch", connected.Get("strategy"));
            Assert.Equal("punch", accepted.Get("strategy"));
            Assert.Equal(lab["six2a"]["ip6"], IPEndPoint.Parse(connected.Get("remote")!).Address.ToString());
            Assert.Equal(lab["six1a"]["ip6"], IPEndPoint.Parse(accepted.Get("remote")!).Address.ToString());
        }
    }

    [Fact]
    public async Task A_router_with_ipv6_routes_it_without_nat_and_its_firewall_drops_unsolicited_inbound()
    {
        var lab = fixture.Require();
        var ct = TestContext.Current.CancellationToken;
        var timeout = TimeSpan.FromSeconds(20);
        // Out: a host behind six1 reaches the internet namespace over IPv6, seen at its own address (no NAT).
        await using var echo = lab.RunTool("inet", "labecho.py", "--bind", "::", "--tcp", "7400");
        await echo.WaitForEventAsync("ready", timeout, cancellationToken: ct);
        await using var outbound = lab.RunTool("six1a", "labprobe.py", "connect", "[2001:2::1]:7400", "--timeout", "3");
        var result = await outbound.WaitForEventAsync("result", timeout, cancellationToken: ct);
        Assert.Equal("open", result.Get("outcome"));
        var seen = await echo.WaitForEventAsync("tcp", timeout, cancellationToken: ct);
        Assert.StartsWith($"{lab["six1a"]["ip6"]}:", seen.Get("remote"));
        // In: a connection from the internet to a host behind six2 that listens is dropped (unsolicited).
        await using var listener = lab.RunTool("six2a", "labecho.py", "--bind", "::", "--tcp", "7401");
        await listener.WaitForEventAsync("ready", timeout, cancellationToken: ct);
        await using var inbound = lab.RunTool("inet", "labprobe.py", "connect", $"[{lab["six2a"]["ip6"]}]:7401", "--timeout", "2");
        Assert.Equal("drop", (await inbound.WaitForEventAsync("result", timeout, cancellationToken: ct)).Get("outcome"));
        // The same listener, reached from its own LAN side (the router itself), answers: the drop is the firewall's.
        await using var local = lab.RunTool("six2", "labprobe.py", "connect", $"[{lab["six2a"]["ip6"]}]:7401", "--timeout", "2");
        Assert.Equal("open", (await local.WaitForEventAsync("result", timeout, cancellationToken: ct)).Get("outcome"));
    }

    /// <summary>
    /// <c>burrow listen</c> on <paramref name="listenerHost"/>, registered, then <c>burrow connect</c> to its address from
    /// <paramref name="dialerHost"/> (both with <paramref name="extra"/>): the listener's <c>listening</c> event and
    /// the <c>connected</c> event of each end. Both processes end when it returns.
    /// </summary>
    private async Task<(LabEvent Listening, LabEvent Connected, LabEvent Accepted)> ConnectOnceAsync(
        Lab lab, string listenerHost, string dialerHost, string[] extra, CancellationToken ct)
    {
        await using var listener = BurrowCli.Run(lab, listenerHost, ["listen", "--rendezvous", fixture.RendezvousEndpoint,
            "--relay", fixture.RelayEndpoint, "--ephemeral", "--json", .. extra]);
        var listening = await listener.WaitForEventAsync("listening", EventTimeout, cancellationToken: ct);
        await listener.WaitForEventAsync("registered", EventTimeout, cancellationToken: ct);
        await using var dialer = BurrowCli.Run(lab, dialerHost, ["connect", listening.Get("address")!, "--rendezvous", fixture.RendezvousEndpoint,
            "--timeout", "15", "--ephemeral", "--json", .. extra]);
        var connected = await dialer.WaitForEventAsync("connected", EventTimeout, cancellationToken: ct);
        var accepted = await listener.WaitForEventAsync("connected", EventTimeout, cancellationToken: ct);
        return (listening, connected, accepted);
    }
}
