using System.Globalization;
using System.Security.Cryptography;

namespace Burrow.Lab.Tests;

/// <summary>
/// A file sent through the relay between two hosts behind port-preserving NATs moves to a punched connection
/// mid-transfer: it is larger than the relay carries (64 MiB each way by default), so it can only arrive whole
/// if the background upgrade found the direct path and the transfer moved there.
/// </summary>
[Collection("connect")]
[Trait("Category", "Lab")]
public sealed class TransferUpgradeLabTests(ConnectLabFixture fixture, ITestOutputHelper output) : IDisposable
{
    private const int FileMiB = 160;
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("burrow-upgrade-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_relayed_transfer_moves_to_a_punch_and_delivers_more_than_the_relay_would_carry()
    {
        var lab = fixture.Require();
        var ct = TestContext.Current.CancellationToken;
        var source = Path.Combine(_dir, "big.bin");
        var inbox = Directory.CreateDirectory(Path.Combine(_dir, "inbox")).FullName;
        await using (var file = File.Create(source))
        {
            var chunk = new byte[1024 * 1024];
            for (var i = 0; i < FileMiB; i++)
            {
                RandomNumberGenerator.Fill(chunk);
                await file.WriteAsync(chunk, ct);
            }
        }
        var expected = Convert.ToHexStringLower(await SHA256.HashDataAsync(File.OpenRead(source), ct));

        await using var receiver = BurrowCli.Run(lab, "home1a", ["receive", "--output", inbox, "--rendezvous", fixture.RendezvousEndpoint,
            "--relay", fixture.RelayEndpoint, "--ephemeral", "--json"]);
        var listening = await receiver.WaitForEventAsync("listening", EventTimeout, cancellationToken: ct);
        await receiver.WaitForEventAsync("registered", EventTimeout, cancellationToken: ct);
        await using var sender = BurrowCli.Run(lab, "home2a", ["send", source, listening.Get("address")!, "--rendezvous", fixture.RendezvousEndpoint,
            "--strategy", "relay", "--upgrade-after", "0", "--ephemeral", "--json"]);

        Assert.Equal("relay", (await sender.WaitForEventAsync("connected", EventTimeout, cancellationToken: ct)).Get("strategy"));
        var movedSender = await sender.WaitForEventAsync("upgraded", EventTimeout, cancellationToken: ct);
        var movedReceiver = await receiver.WaitForEventAsync("upgraded", EventTimeout, cancellationToken: ct);
        var sent = await sender.WaitForEventAsync("sent", EventTimeout, cancellationToken: ct);
        var received = await receiver.WaitForEventAsync("received", EventTimeout, cancellationToken: ct);
        output.WriteLine($"moved to {movedSender.Get("strategy")} after {movedSender.Get("afterMs")} ms (receiver: {movedReceiver.Get("afterMs")} ms); " +
                         $"{FileMiB} MiB in {sent.Get("elapsedMs")} ms, {sent.Get("mibPerSecond")} MiB/s");
        Assert.Equal("punch", movedSender.Get("strategy"));
        Assert.Equal("punch", movedReceiver.Get("strategy"));
        Assert.Equal(expected, sent.Get("sha256"));
        Assert.Equal(expected, received.Get("sha256"));
        Assert.Equal((FileMiB * 1024L * 1024L).ToString(CultureInfo.InvariantCulture), received.Get("bytes"));
        Assert.Equal(0, await sender.WaitForExitAsync(EventTimeout, ct));
        Assert.Equal(0, await receiver.WaitForExitAsync(EventTimeout, ct));
    }
}
