using System.Security.Cryptography;
using Burrow.Cli;
using Burrow.Cli.Commands;
using Burrow.Cli.Transfer;
using Burrow.Transport;

namespace Burrow.Tests.Cli;

/// <summary>A transfer whose peer goes quiet fails with a timeout instead of hanging; one that keeps moving has no deadline.</summary>
public sealed class TransferTimeoutTests : IAsyncDisposable
{
    private static readonly TransferTimeouts Short = new()
    {
        Message = TimeSpan.FromMilliseconds(300),
        Verdict = TimeSpan.FromMilliseconds(300),
        Stall = TimeSpan.FromMilliseconds(300),
    };

    private readonly Owned _owned = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("burrow-timeout-").FullName;

    public async ValueTask DisposeAsync()
    {
        await _owned.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_peer_that_never_offers_a_file_fails_receive_with_transfer_failed()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, inbound) = await TransferPeers.DirectAsync(_owned, ct);
        var events = new StringWriter();

        Assert.Equal(ExitCodes.ConnectionFailed, await TransferSession.ReceiveAsync(inbound, TransferPeers.JsonReporter(events), _dir, overwrite: false, Short, ct));
        Assert.Equal("transfer_failed", TransferPeers.ErrorCode(events));
        Assert.Contains("offer did not come within 0.3 s", events.ToString(), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_sender_that_never_sends_the_checksum_fails_the_receive() =>
        Assert.Contains("checksum", (await ReceiveFromAQuietSenderAsync(offered: 4096, sent: 4096, TestContext.Current.CancellationToken)).Message, StringComparison.Ordinal);

    [Fact(Timeout = 30_000)]
    public async Task A_receiver_that_never_answers_fails_the_send()
    {
        var ct = TestContext.Current.CancellationToken;
        var (outbound, inbound) = await TransferPeers.DirectAsync(_owned, ct);
        await using var link = new TransferLink(outbound, ct);
        var content = RandomNumberGenerator.GetBytes(4096);
        var sending = FileTransfer.SendAsync(link, new FileOffer("f.bin", content.Length), new MemoryStream(content), new Progress<long>(), Short, ct);
        var messages = new MessageStream(inbound.Stream);
        Assert.NotNull(await messages.ReadAsync(ct)); // the offer
        await inbound.Stream.ReadExactlyAsync(new byte[content.Length], ct);
        Assert.NotNull(await messages.ReadAsync(ct)); // the checksum; no verdict follows

        var e = await Assert.ThrowsAsync<TimeoutException>(() => sending);
        Assert.Contains("verdict", e.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_sender_that_stops_mid_file_fails_the_receive() =>
        Assert.Contains("after 4096 of 8192 bytes", (await ReceiveFromAQuietSenderAsync(offered: 8192, sent: 4096, TestContext.Current.CancellationToken)).Message, StringComparison.Ordinal);

    /// <summary>How the receiving end fails when the sender offers <paramref name="offered"/> bytes, sends <paramref name="sent"/> of them, and then nothing.</summary>
    private async Task<TimeoutException> ReceiveFromAQuietSenderAsync(int offered, int sent, CancellationToken ct)
    {
        var (outbound, inbound) = await TransferPeers.DirectAsync(_owned, ct);
        await using var link = new TransferLink(inbound, ct);
        await new MessageStream(outbound.Stream).WriteAsync(new FileOffer("f.bin", offered).Encode(), ct);
        await outbound.Stream.WriteAsync(RandomNumberGenerator.GetBytes(sent), ct);
        await outbound.Stream.FlushAsync(ct);
        return await Assert.ThrowsAsync<TimeoutException>(() => FileTransfer.ReceiveAsync(link, _ => new MemoryStream(), () => { }, new Progress<long>(), Short, ct));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_receiver_that_stops_reading_fails_the_send()
    {
        var ct = TestContext.Current.CancellationToken;
        var (outbound, _) = await TransferPeers.DirectAsync(_owned, ct);
        await using var link = new TransferLink(outbound, ct);
        var content = new byte[64 * 1024 * 1024]; // more than the socket buffers hold: the writes block

        await Assert.ThrowsAsync<TimeoutException>(() =>
            FileTransfer.SendAsync(link, new FileOffer("f.bin", content.Length), new MemoryStream(content), new Progress<long>(), Short, ct));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_transfer_that_keeps_moving_may_take_longer_than_the_stall_limit()
    {
        var ct = TestContext.Current.CancellationToken;
        var (outbound, inbound) = await TransferPeers.DirectAsync(_owned, ct);
        await using var senderLink = new TransferLink(outbound, ct);
        await using var receiverLink = new TransferLink(inbound, ct);
        var limits = new TransferTimeouts { Stall = TimeSpan.FromSeconds(1) };
        var content = RandomNumberGenerator.GetBytes(40 * 1024);
        var received = new MemoryStream();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var receiving = FileTransfer.ReceiveAsync(receiverLink, _ => received, () => { }, new Progress<long>(), limits, ct);
        await FileTransfer.SendAsync(senderLink, new FileOffer("f.bin", content.Length), new TrickleFile(content, 1024, TimeSpan.FromMilliseconds(50)),
            new Progress<long>(), limits, ct);
        await receiving;

        Assert.True(clock.Elapsed > limits.Stall, $"the transfer took {clock.Elapsed}, not longer than the stall limit");
        Assert.Equal(content, received.ToArray());
    }
}
