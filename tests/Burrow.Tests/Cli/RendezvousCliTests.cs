using Burrow.Addressing;

namespace Burrow.Tests.Cli;

/// <summary><c>burrow rendezvous</c> and <c>burrow listen --rendezvous</c>, run as processes on loopback.</summary>
public sealed class RendezvousCliTests
{
    [Fact(Timeout = 120_000)]
    public async Task Listen_registers_at_a_rendezvous_and_prints_an_address_naming_it()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rendezvous = CliProcess.Start("rendezvous", "--listen", "127.0.0.1:0", "--json", "--ephemeral");
        var serving = await rendezvous.NextEventAsync("listening", ct);
        var endpoint = serving["endpoint"]!.GetValue<string>();
        Assert.StartsWith("127.0.0.1:", endpoint, StringComparison.Ordinal);
        Assert.Equal(52, serving["nodeId"]!.GetValue<string>().Length);

        await using var listener = CliProcess.Start("listen", "--bind", "127.0.0.1", "--rendezvous", endpoint, "--json", "--ephemeral");
        var listening = await listener.NextEventAsync("listening", ct);
        var address = NodeAddress.Parse(listening["address"]!.GetValue<string>(), DateTimeOffset.UtcNow);
        Assert.Equal(endpoint, Assert.Single(address.Rendezvous).ToString());
        Assert.Equal(endpoint, listening["rendezvous"]![0]!.GetValue<string>());
        var registered = await listener.NextEventAsync("registered", ct);
        Assert.Equal(endpoint, registered["rendezvous"]!.GetValue<string>());
        Assert.StartsWith("127.0.0.1:", registered["observed"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("tls", registered["transport"]!.GetValue<string>());
    }

    [Fact(Timeout = 120_000)]
    public async Task Two_nodes_on_the_datagram_rendezvous_signal_each_other_and_connect_through_the_relay()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rendezvous = CliProcess.Start("rendezvous", "--listen", "127.0.0.1:0", "--relay", "127.0.0.1:0", "--json", "--ephemeral");
        var serving = await rendezvous.NextEventAsync("listening", ct);
        var (endpoint, relay) = (serving["endpoint"]!.GetValue<string>(), serving["relay"]!.GetValue<string>());

        await using var listener = CliProcess.Start("listen", "--bind", "127.0.0.1", "--rendezvous", endpoint, "--relay", relay, "--rendezvous-udp", "--json", "--ephemeral");
        var address = (await listener.NextEventAsync("listening", ct))["address"]!.GetValue<string>();
        var registered = await listener.NextEventAsync("registered", ct);
        Assert.Equal("udp", registered["transport"]!.GetValue<string>());
        Assert.StartsWith("127.0.0.1:", registered["observed"]!.GetValue<string>(), StringComparison.Ordinal);

        // A relayed connect needs signals both ways (the request, the relay's token) through the rendezvous: here over UDP.
        await using var dialer = CliProcess.Start("connect", address, "--rendezvous", endpoint, "--rendezvous-udp", "--strategy", "relay", "--json", "--ephemeral");
        var connected = await dialer.NextEventAsync("connected", ct);
        Assert.Equal("relay", connected["strategy"]!.GetValue<string>());
        Assert.Equal("relay", (await listener.NextEventAsync("connected", ct))["strategy"]!.GetValue<string>());
        var limits = connected["relay"]!; // the relay's limits, as it told the peers (its defaults)
        Assert.Equal(64L * 1024 * 1024, limits["maxBytes"]!.GetValue<long>());
        Assert.Equal(600, limits["maxSeconds"]!.GetValue<double>());
        Assert.Equal(60, limits["maxIdleSeconds"]!.GetValue<double>());
    }

    [Fact(Timeout = 60_000)]
    public async Task A_bad_listen_endpoint_is_a_usage_error()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var bad = CliProcess.Start("rendezvous", "--listen", "nowhere", "--json", "--ephemeral");
        var error = await bad.NextEventAsync("error", ct);
        Assert.Equal("usage", error["code"]!.GetValue<string>());
        Assert.Equal(2, await bad.WaitForExitAsync(ct));
        await using var badListen = CliProcess.Start("listen", "--rendezvous", "no port", "--json", "--ephemeral");
        Assert.Equal("usage", (await badListen.NextEventAsync("error", ct))["code"]!.GetValue<string>());
        Assert.Equal(2, await badListen.WaitForExitAsync(ct));
    }
}
