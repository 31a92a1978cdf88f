using System.Globalization;

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
            await using var listener = BurrowCli.Run(lab, listenerHost, ["listen", "--rendezvous", fixture.RendezvousEndpoint,
                "--relay", fixture.RelayEndpoint, "--ephemeral", "--json", .. stun, .. udp]);
            var listening = await listener.WaitForEventAsync("listening", EventTimeout, cancellationToken: ct);
            await listener.WaitForEventAsync("registered", EventTimeout, cancellationToken: ct);
            var address = listening.Get("address")!;

            await using var dialer = BurrowCli.Run(lab, dialerHost, ["connect", address, "--rendezvous", fixture.RendezvousEndpoint,
                "--timeout", "15", "--ephemeral", "--json", .. stun, .. udp]);
            var connected = await dialer.WaitForEventAsync("connected", EventTimeout, cancellationToken: ct);
            var accepted = await listener.WaitForEventAsync("connected", EventTimeout, cancellationToken: ct);
            var elapsed = double.Parse(connected.Get("elapsedMs")!, CultureInfo.InvariantCulture);
            times.Add(elapsed);
            output.WriteLine($"{dialerHost} -> {listenerHost}{(profiled ? " (profiled)" : "")}{(datagram ? " (datagram rendezvous)" : "")} run {run + 1}: {connected.Get("strategy")} in {elapsed} ms, {connected.Get("local")} -> {connected.Get("remote")}");

            strategies.Add(connected.Get("strategy"));
            Assert.Equal(listening.Get("nodeId"), connected.Get("peer"));
            Assert.Equal(connected.Get("strategy") == "direct" ? "accepted" : connected.Get("strategy"), accepted.Get("strategy"));
        }
        times.Sort();
        output.WriteLine($"{dialerHost} -> {listenerHost}{(profiled ? " (profiled)" : "")}: {string.Join(", ", strategies)}; median {times[times.Count / 2]} ms, max {times[^1]} ms over {runs} runs");
        Assert.True(strategies.Count(s => s == strategy) >= minimum, $"{strategy} in only {strategies.Count(s => s == strategy)} of {runs} runs: {string.Join(", ", strategies)}");
    }
}
