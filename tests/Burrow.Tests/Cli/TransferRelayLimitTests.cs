using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Burrow.Cli;
using Burrow.Cli.Commands;
using Burrow.Cli.Transfer;
using Burrow.Connect;
using Burrow.Relay;
using Burrow.Tests.Connect;
using Burrow.Transport;

namespace Burrow.Tests.Cli;

/// <summary>
/// A file larger than the relay carries: the sender writes on the relay up to its budget, then finishes on the direct
/// connection, or stops with a clear error when none comes — never running into the relay's limit.
/// </summary>
[Collection(typeof(PunchCollection))]
public sealed class TransferRelayLimitTests : IAsyncDisposable
{
    private static readonly RelayLimits Limits = new(400_000, TimeSpan.FromMinutes(1));
    private static readonly int Budget = (int)RelayBudget.Of(Limits.MaxBytes);

    private readonly Owned _owned = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("burrow-relay-limit-").FullName;

    public async ValueTask DisposeAsync()
    {
        await _owned.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_file_larger_than_the_relay_carries_waits_at_the_budget_for_the_direct_connection_and_arrives_whole()
    {
        var ct = TestContext.Current.CancellationToken;
        // The direct connection comes a second after the relayed one: long after the budget is spent.
        var (relayed, relayedIn) = await TransferPeers.RelayedAsync(_owned, new ConnectOptions { UpgradeAfter = [TimeSpan.FromSeconds(1)] }, Limits, ct);
        var content = RandomNumberGenerator.GetBytes(1024 * 1024 + 11);
        var received = new LatestProgress();
        long onRelay = -1;
        await using var senderLink = new TransferLink(relayed, ct);
        await using var receiverLink = new TransferLink(relayedIn, ct) { Moved = _ => onRelay = received.Value };
        var file = new MemoryStream();

        var receiving = FileTransfer.ReceiveAsync(receiverLink, _ => file, () => { }, received, new TransferTimeouts(), ct);
        var digest = await FileTransfer.SendAsync(senderLink, new FileOffer("f.bin", content.Length), new MemoryStream(content), new Progress<long>(),
            new TransferTimeouts(), ct);
        var (_, sha) = await receiving;

        Assert.Equal(SHA256.HashData(content), digest);
        Assert.Equal(digest, sha);
        Assert.Equal(content, file.ToArray());
        Assert.Equal(Budget, onRelay); // the relay carried the file up to its budget, and not a byte more
        Assert.Equal(Budget, senderLink.Budget!.Written);
        Assert.False(senderLink.Current.IsRelayed || receiverLink.Current.IsRelayed);
    }

    [Fact(Timeout = 60_000)]
    public async Task Without_a_direct_connection_the_sender_stops_at_the_budget_with_a_relay_limit_error_and_ends_the_stream_cleanly()
    {
        var ct = TestContext.Current.CancellationToken;
        // No upgrade attempts: the accepting end, which sends here, never gets a direct connection.
        var (receiver, sender) = await TransferPeers.RelayedAsync(_owned, new ConnectOptions { UpgradeAfter = [] }, Limits, ct);
        var content = RandomNumberGenerator.GetBytes(1024 * 1024);
        var timeouts = new TransferTimeouts { Direct = TimeSpan.FromMilliseconds(500), Verdict = TimeSpan.FromSeconds(2) };
        await using var link = new TransferLink(sender, ct);
        var clock = Stopwatch.StartNew();

        var sending = FileTransfer.SendAsync(link, new FileOffer("f.bin", content.Length), new MemoryStream(content), new Progress<long>(), timeouts, ct);
        Assert.NotNull(await new MessageStream(receiver.Stream).ReadAsync(ct)); // the offer
        var relayed = new byte[Budget];
        await receiver.Stream.ReadExactlyAsync(relayed, ct);
        var e = await Assert.ThrowsAsync<RelayLimitException>(() => sending);

        // It waited for the direct connection (a timer may fire a tick early by the stopwatch: 0.4994 s was seen in CI).
        Assert.InRange(clock.Elapsed, timeouts.Direct - TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(10));
        Assert.Equal($"The relay carries at most {Limits.MaxBytes} bytes each way; the file needs {content.Length}; no direct connection came within 0.5 s.", e.Message);
        Assert.Equal(content[..Budget], relayed);
        // Then the sender's end of stream, cleanly (a reset would throw): it read what came to it before closing,
        // so nothing it had written was dropped. The relay carried it all, so its limit was not reached.
        Assert.Equal(0, await receiver.Stream.ReadAsync(new byte[8], ct));
    }

    [Fact(Timeout = 60_000)]
    public async Task The_receiver_of_a_transfer_stopped_at_the_relay_budget_is_told_it_was_the_relay_limit()
    {
        var ct = TestContext.Current.CancellationToken;
        var (receiver, sender) = await TransferPeers.RelayedAsync(_owned, new ConnectOptions { UpgradeAfter = [] }, Limits, ct);
        var content = RandomNumberGenerator.GetBytes(1024 * 1024);
        var timeouts = new TransferTimeouts { Direct = TimeSpan.FromMilliseconds(500) };
        var file = new MemoryStream();
        await using var receiverLink = new TransferLink(receiver, ct);
        var receiving = FileTransfer.ReceiveAsync(receiverLink, _ => file, () => { }, new Progress<long>(), timeouts, ct);

        await using (var senderLink = new TransferLink(sender, ct))
        {
            await Assert.ThrowsAsync<RelayLimitException>(() =>
                FileTransfer.SendAsync(senderLink, new FileOffer("f.bin", content.Length), new MemoryStream(content), new Progress<long>(), timeouts, ct));
        } // the sender gives up and closes

        var e = await Assert.ThrowsAsync<RelayLimitException>(() => receiving);
        Assert.StartsWith($"The relay carries at most {Limits.MaxBytes} bytes each way; the file needs {content.Length}; no direct connection came to finish on (",
            e.Message, StringComparison.Ordinal);
        Assert.Equal(Budget, file.Length);
    }

    [Fact(Timeout = 60_000)]
    public async Task Send_says_up_front_that_the_file_needs_the_direct_connection_and_fails_with_transfer_failed_when_none_will_come()
    {
        var ct = TestContext.Current.CancellationToken;
        // No upgrade attempts: the dialing end, which sends here, learns at once that no direct connection will come.
        var (sender, receiver) = await TransferPeers.RelayedAsync(_owned, new ConnectOptions { UpgradeAfter = [] }, Limits, ct);
        var path = Path.Combine(_dir, "big.bin");
        await File.WriteAllBytesAsync(path, RandomNumberGenerator.GetBytes(1024 * 1024), ct);
        var events = new StringWriter();

        var draining = DrainFileDataAsync(receiver, ct);
        Assert.Equal(ExitCodes.ConnectionFailed,
            await TransferSession.SendAsync(sender, TransferPeers.JsonReporter(events), path, new TransferTimeouts { Direct = TimeSpan.FromMilliseconds(500) }, ct));

        Assert.Equal(Budget, await draining);
        var lines = events.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!).ToList();
        var limit = Assert.Single(lines, e => e["event"]!.GetValue<string>() == "relay_limit");
        Assert.Equal((1024L * 1024, Limits.MaxBytes, (long)Budget),
            (limit["bytes"]!.GetValue<long>(), limit["maxBytes"]!.GetValue<long>(), limit["relayBytes"]!.GetValue<long>()));
        Assert.Equal("transfer_failed", TransferPeers.ErrorCode(events));
        Assert.Contains($"The relay carries at most {Limits.MaxBytes} bytes each way; the file needs {1024 * 1024}; no direct connection came",
            events.ToString(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_transfer_slower_than_the_relay_session_stops_before_the_relay_ends_it_and_both_ends_are_told_it_was_the_time_limit()
    {
        var ct = TestContext.Current.CancellationToken;
        // A 6 s session: the sender keeps back 0.5 s to wait for the direct connection and 0.75 s of guard. The file is
        // larger than the byte limit too, but the time runs out first (at most 1.5 MiB go by then): both ends name the time.
        var limits = new RelayLimits(1_950_000, TimeSpan.FromSeconds(6));
        var (receiver, sender) = await TransferPeers.RelayedAsync(_owned, new ConnectOptions { UpgradeAfter = [] }, limits, ct);
        var content = RandomNumberGenerator.GetBytes(2 * 1024 * 1024); // 16 KiB every 50 ms: 6.4 s, more than the session
        var timeouts = new TransferTimeouts { Direct = TimeSpan.FromMilliseconds(500) };
        var file = new MemoryStream();
        await using var receiverLink = new TransferLink(receiver, ct);
        var receiving = FileTransfer.ReceiveAsync(receiverLink, _ => file, () => { }, new Progress<long>(), timeouts, ct);

        var endsBy = sender.RelayEndsBy!.Value;
        Assert.InRange(sender.RelayTimeLeft!.Value, TimeSpan.FromSeconds(4), limits.MaxDuration);
        await using (var senderLink = new TransferLink(sender, ct))
        {
            var e = await Assert.ThrowsAsync<RelayLimitException>(() => FileTransfer.SendAsync(senderLink, new FileOffer("f.bin", content.Length),
                new TrickleFile(content, 16 * 1024, TimeSpan.FromMilliseconds(50)), new Progress<long>(), timeouts, ct));
            // It waited for the direct connection up to the guard: 0.5 s, less however late it noticed (reads come every 50 ms).
            var said = System.Text.RegularExpressions.Regex.Match(e.Message, $@"^The relay ends its session after 6 s; the file's {content.Length} bytes did not "
                + @"all go through it by then; no direct connection came within (?<wait>[0-9.]+) s\.$");
            Assert.True(said.Success, e.Message);
            Assert.InRange(double.Parse(said.Groups["wait"].Value, System.Globalization.CultureInfo.InvariantCulture), 0, timeouts.Direct.TotalSeconds);
            Assert.True(DateTimeOffset.UtcNow < endsBy, "the sender gave up only after the relay had ended the session");
        }

        var received = await Assert.ThrowsAsync<RelayLimitException>(() => receiving);
        Assert.StartsWith($"The relay ends its session after 6 s; the file's {content.Length} bytes did not all go through it by then; "
            + "no direct connection came to finish on (The stream ended after ", received.Message, StringComparison.Ordinal);
        // The stream ended cleanly where the sender stopped, before the byte budget, and everything before that arrived.
        Assert.InRange(file.Length, 1, RelayBudget.Of(limits.MaxBytes) - 1);
        Assert.Equal(content[..(int)file.Length], file.ToArray());
    }

    [Fact(Timeout = 60_000)]
    public async Task A_receiver_whose_direct_connection_came_after_the_sender_gave_up_is_told_it_was_the_relay_limit()
    {
        var ct = TestContext.Current.CancellationToken;
        // The receiver dials, so its node makes the upgrade attempt — at 1.5 s, after the sender (0.3 s of waiting at the
        // budget) gave up and closed: the receiver follows to a direct connection that the sender's node closes unused.
        var (receiver, sender) = await TransferPeers.RelayedAsync(_owned, new ConnectOptions { UpgradeAfter = [TimeSpan.FromSeconds(1.5)] }, Limits, ct);
        var content = RandomNumberGenerator.GetBytes(1024 * 1024);
        var file = new MemoryStream();
        var moves = 0;
        await using var receiverLink = new TransferLink(receiver, ct) { Moved = _ => moves++ };
        var receiving = FileTransfer.ReceiveAsync(receiverLink, _ => file, () => { }, new Progress<long>(), new TransferTimeouts(), ct);

        await using (var senderLink = new TransferLink(sender, ct))
        {
            await Assert.ThrowsAsync<RelayLimitException>(() => FileTransfer.SendAsync(senderLink, new FileOffer("f.bin", content.Length),
                new MemoryStream(content), new Progress<long>(), new TransferTimeouts { Direct = TimeSpan.FromMilliseconds(300) }, ct));
        }

        var e = await Assert.ThrowsAsync<RelayLimitException>(() => receiving);
        Assert.Equal(1, moves); // it did follow: the direct connection came, and ended at once
        Assert.Equal($"The relay carries at most {Limits.MaxBytes} bytes each way; the file needs {content.Length}; the sender stopped before the direct "
            + "connection was ready, and closed it unused.", e.Message);
        Assert.Equal(Budget, file.Length);
    }

    /// <summary>The receiving end by hand: reads the offer, then counts the file data until the stream ends.</summary>
    private static async Task<long> DrainFileDataAsync(PeerConnection receiver, CancellationToken ct)
    {
        Assert.NotNull(await new MessageStream(receiver.Stream).ReadAsync(ct));
        var buffer = new byte[64 * 1024];
        long total = 0;
        try
        {
            int n;
            while ((n = await receiver.Stream.ReadAsync(buffer, ct)) > 0)
            {
                total += n;
            }
        }
        catch (IOException)
        {
            // closed hard: as good as an end
        }
        return total;
    }

    /// <summary>Progress that keeps the last value, as it is reported.</summary>
    private sealed class LatestProgress : IProgress<long>
    {
        private long _value;

        public long Value => Volatile.Read(ref _value);

        public void Report(long value) => Volatile.Write(ref _value, value);
    }
}
