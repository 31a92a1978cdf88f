using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Burrow.Tests.Cli;

/// <summary>The built <c>burrow</c> CLI, run as processes on loopback.</summary>
public sealed class CliEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("burrow-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact(Timeout = 180_000)]
    public async Task Listen_and_connect_pipe_10_MB_each_way_and_report_json_events()
    {
        var ct = TestContext.Current.CancellationToken;
        const int size = 10 * 1024 * 1024 + 12345;
        var toDialer = RandomBytes(size);
        var toListener = RandomBytes(size);

        await using var listener = CliProcess.Start("listen", "--bind", "127.0.0.1", "--json", "--identity", Path.Combine(_dir, "listener.pem"));
        var listening = await listener.NextEventAsync("listening", ct);
        var address = listening["address"]!.GetValue<string>();
        var listenerId = listening["nodeId"]!.GetValue<string>();
        Assert.StartsWith("burrow1", address, StringComparison.Ordinal);

        await using var dialer = CliProcess.Start("connect", address, "--json", "--identity", Path.Combine(_dir, "dialer.pem"));
        var dialerConnected = await dialer.NextEventAsync("connected", ct);
        var listenerConnected = await listener.NextEventAsync("connected", ct);
        Assert.Equal(listenerId, dialerConnected["peer"]!.GetValue<string>());
        Assert.Equal("direct", dialerConnected["strategy"]!.GetValue<string>());
        Assert.True(dialerConnected["elapsedMs"]!.GetValue<double>() > 0);
        Assert.Equal("inbound", listenerConnected["direction"]!.GetValue<string>());
        var dialerId = listenerConnected["peer"]!.GetValue<string>();
        Assert.NotEqual(listenerId, dialerId);

        // Both directions at once: each side writes its payload to stdin while the other's arrives on stdout.
        var pumps = new[]
        {
            WriteAndCloseAsync(listener.StandardInput, toDialer, ct),
            WriteAndCloseAsync(dialer.StandardInput, toListener, ct),
        };
        var atDialer = HashAsync(dialer.StandardOutput, ct);
        var atListener = HashAsync(listener.StandardOutput, ct);
        await Task.WhenAll(pumps);
        Assert.Equal(SHA256.HashData(toDialer), (await atDialer).Hash);
        Assert.Equal(SHA256.HashData(toListener), (await atListener).Hash);

        var dialerClosed = await dialer.NextEventAsync("closed", ct);
        var listenerClosed = await listener.NextEventAsync("closed", ct);
        Assert.Equal(size, dialerClosed["bytesSent"]!.GetValue<long>());
        Assert.Equal(size, dialerClosed["bytesReceived"]!.GetValue<long>());
        Assert.Equal(size, listenerClosed["bytesReceived"]!.GetValue<long>());
        await dialer.AssertExitsCleanAsync(ct);
        await listener.AssertExitsCleanAsync(ct);
    }

    [Fact(Timeout = 180_000)]
    public async Task Send_and_receive_move_a_file_and_both_ends_check_its_sha256()
    {
        var ct = TestContext.Current.CancellationToken;
        var content = RandomBytes(12 * 1024 * 1024 + 7);
        var source = Path.Combine(_dir, "payload.bin");
        await File.WriteAllBytesAsync(source, content, ct);
        var inbox = Directory.CreateDirectory(Path.Combine(_dir, "inbox")).FullName;

        await using var receiver = CliProcess.Start("receive", "--bind", "127.0.0.1", "--output", inbox, "--json", "--ephemeral");
        var address = (await receiver.NextEventAsync("listening", ct))["address"]!.GetValue<string>();
        await using var sender = CliProcess.Start("send", source, address, "--json", "--ephemeral");
        Assert.Equal("direct", (await sender.NextEventAsync("connected", ct))["strategy"]!.GetValue<string>());
        await receiver.NextEventAsync("connected", ct);
        var sent = await sender.NextEventAsync("sent", ct);
        var received = await receiver.NextEventAsync("received", ct);
        var expected = Convert.ToHexStringLower(SHA256.HashData(content));
        Assert.Equal(expected, sent["sha256"]!.GetValue<string>());
        Assert.Equal(expected, received["sha256"]!.GetValue<string>());
        Assert.Equal(content.Length, received["bytes"]!.GetValue<long>());
        await sender.AssertExitsCleanAsync(ct);
        await receiver.AssertExitsCleanAsync(ct);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(inbox, "payload.bin"), ct));
        Assert.Equal(["payload.bin"], Directory.GetFiles(inbox).Select(Path.GetFileName));
    }

    [Theory(Timeout = 60_000)]
    [InlineData("connect", "--upgrade-after", "-1")]
    [InlineData("connect", "--upgrade-after", "NaN")]
    [InlineData("send", "--upgrade-after", "3600001")]
    public async Task A_dial_option_out_of_range_exits_2_with_a_usage_error(string command, string option, string value)
    {
        var ct = TestContext.Current.CancellationToken;
        string[] head = command == "send" ? ["send", Path.Combine(_dir, "absent")] : ["connect"];
        await using var cli = CliProcess.Start([.. head, "burrow1x", option, value, "--json", "--ephemeral"]);
        var error = await cli.NextEventAsync("error", ct);
        Assert.Equal("usage", error["code"]!.GetValue<string>());
        Assert.Equal(2, await cli.WaitForExitAsync(ct));
    }

    [Fact(Timeout = 60_000)]
    public async Task Send_refuses_a_missing_file_with_exit_2()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sender = CliProcess.Start("send", Path.Combine(_dir, "absent"), "burrow1x", "--json", "--ephemeral");
        var error = await sender.NextEventAsync("error", ct);
        Assert.Equal("no_such_file", error["code"]!.GetValue<string>());
        Assert.Equal(2, await sender.WaitForExitAsync(ct));
    }

    [Theory(Timeout = 60_000)]
    [InlineData("burrow1garbage", "bad_address")]
    [InlineData("not-an-address", "bad_address")]
    [InlineData("", "bad_address")]
    public async Task A_malformed_address_exits_2_with_a_clear_error(string address, string code)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dialer = CliProcess.Start("connect", address, "--json", "--ephemeral");
        var error = await dialer.NextEventAsync("error", ct);
        Assert.Equal(code, error["code"]!.GetValue<string>());
        Assert.Contains("address", error["message"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(2, await dialer.WaitForExitAsync(ct));

        await using var human = CliProcess.Start("connect", address, "--ephemeral");
        Assert.Equal(2, await human.WaitForExitAsync(ct));
        Assert.Contains("error (bad_address)", human.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_unreachable_peer_exits_1_naming_each_strategy_tried()
    {
        var ct = TestContext.Current.CancellationToken;
        // A genuine address of a node that is gone by the time we dial it.
        await using var gone = CliProcess.Start("listen", "--bind", "127.0.0.1", "--json", "--ephemeral");
        var address = (await gone.NextEventAsync("listening", ct))["address"]!.GetValue<string>();
        await gone.DisposeAsync();

        await using var dialer = CliProcess.Start("connect", address, "--json", "--ephemeral", "--timeout", "5");
        var error = await dialer.NextEventAsync("error", ct);
        Assert.Equal("connect_failed", error["code"]!.GetValue<string>());
        var attempt = Assert.Single(error["attempts"]!.AsArray())!.AsObject();
        Assert.Equal("direct", attempt["strategy"]!.GetValue<string>());
        Assert.Equal("failed", attempt["result"]!.GetValue<string>());
        Assert.Equal(1, await dialer.WaitForExitAsync(ct));
    }

    [Fact(Timeout = 60_000)]
    public async Task Demo_completes_an_exchange_and_address_explain_describes_every_field()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var demo = CliProcess.Start("demo", "--json");
        var address = (await demo.NextEventAsync("listening", ct))["address"]!.GetValue<string>();
        Assert.Equal("direct", (await demo.NextEventAsync("connected", ct))["strategy"]!.GetValue<string>());
        Assert.StartsWith("hello bob", (await demo.NextEventAsync("message", ct))["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("hello alice", (await demo.NextEventAsync("message", ct))["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True((await demo.NextEventAsync("closed", ct))["verified"]!.GetValue<bool>());
        await demo.AssertExitsCleanAsync(ct);

        await using var explain = CliProcess.Start("address", "explain", address, "--json");
        var json = JsonNode.Parse(await new StreamReader(explain.StandardOutput).ReadToEndAsync(ct))!.AsObject();
        Assert.Equal(0, await explain.WaitForExitAsync(ct));
        Assert.Equal("valid", json["validity"]!.GetValue<string>());
        var endpoint = Assert.Single(json["endpoints"]!.AsArray())!.AsObject();
        Assert.Equal("127.0.0.1", endpoint["lanAddress"]!.GetValue<string>());
        Assert.Equal("unknown", endpoint["natMapping"]!.GetValue<string>());
    }

    private static byte[] RandomBytes(int size)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private static async Task WriteAndCloseAsync(Stream stdin, byte[] payload, CancellationToken ct)
    {
        for (var offset = 0; offset < payload.Length; offset += 256 * 1024)
        {
            await stdin.WriteAsync(payload.AsMemory(offset, Math.Min(256 * 1024, payload.Length - offset)), ct);
        }
        await stdin.FlushAsync(ct);
        stdin.Close();
    }

    private static async Task<(byte[] Hash, long Length)> HashAsync(Stream stdout, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[128 * 1024];
        long length = 0;
        int n;
        while ((n = await stdout.ReadAsync(buffer, ct)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            length += n;
        }
        return (hash.GetHashAndReset(), length);
    }
}
