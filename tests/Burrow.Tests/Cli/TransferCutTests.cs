using System.Security.Cryptography;
using Burrow.Cli.Transfer;
using Burrow.Relay;
using Burrow.Tests.Transport;
using Burrow.Transport;
using Microsoft.Extensions.Time.Testing;

namespace Burrow.Tests.Cli;

/// <summary>
/// A relayed stream cut short of the file — its transport ending with no close_notify, as when the relay ends the session
/// under bytes still on their way — fails the receiver at the cut, never taken for the sender's move or end.
/// </summary>
public sealed class TransferCutTests
{
    private static readonly RelayLimits Limits = new(100_000_000, TimeSpan.FromSeconds(20));

    /// <summary>
    /// Bob receives a 1 MiB file on a connection marked relayed (as the relay's handshake would), whose session ends
    /// by <paramref name="time"/> (reached before the cut when <paramref name="atTheEnd"/>); Alice, the sender, writes the offer and <paramref name="sent"/> bytes of it, and
    /// then her transport just ends (FIN, no close_notify): what a relay ending the session looks like from Bob.
    /// </summary>
    private static async Task<(Exception Error, MemoryStream File, byte[] Content)> CutAsync(FakeTimeProvider time, int sent, CancellationToken ct,
        bool atTheEnd = true)
    {
        await using var pair = await TlsPair.StartAsync(ct);
        var bob = new PeerConnection(pair.BobSocket, pair.Bob, pair.AliceId, "accepted", TimeSpan.Zero, initiated: false, Limits,
            relayEnd: RelaySessionEnd.PairedNow(time, Limits.MaxDuration));
        var content = RandomNumberGenerator.GetBytes(1024 * 1024);
        var file = new MemoryStream();
        await using var link = new TransferLink(bob, ct);
        var receiving = FileTransfer.ReceiveAsync(link, _ => file, () => { }, new Progress<long>(), new TransferTimeouts { Direct = TimeSpan.FromSeconds(1) }, ct);

        await new MessageStream(pair.Alice).WriteAsync(new FileOffer("f.bin", content.Length).Encode(), ct);
        await pair.Alice.WriteAsync(content.AsMemory(0, sent), ct);
        await pair.Alice.FlushAsync(ct);
        if (atTheEnd)
        {
            time.Advance(Limits.MaxDuration); // the session's end, where the relay cuts it
        }
        pair.AliceSocket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        return (await Record.ExceptionAsync(() => receiving.WaitAsync(TimeSpan.FromSeconds(10), ct)) ?? new Exception("no error"), file, content);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_relayed_stream_cut_at_the_end_of_the_session_is_the_relays_time_limit_after_the_bytes_that_came()
    {
        var ct = TestContext.Current.CancellationToken;
        var (error, file, content) = await CutAsync(new FakeTimeProvider(), 300_000, ct);

        var limit = Assert.IsType<RelayLimitException>(error);
        Assert.Equal($"The relay ends its session after 20 s; the file's {content.Length} bytes did not all go through it by then; "
            + "the relay ended the session after 300000 bytes, before all it was sent had arrived.", limit.Message);
        StreamEndTests.AssertCut(Assert.IsAssignableFrom<IOException>(limit.InnerException));
        Assert.Equal(content[..300_000], file.ToArray());
    }

    [Fact(Timeout = 30_000)]
    public async Task A_relayed_stream_cut_before_any_limit_is_reported_as_a_cut_not_as_the_senders_end()
    {
        var ct = TestContext.Current.CancellationToken;
        var (error, file, _) = await CutAsync(new FakeTimeProvider(), 300_000, ct, atTheEnd: false);

        StreamEndTests.AssertCut(Assert.IsAssignableFrom<IOException>(error));
        Assert.IsNotType<RelayLimitException>(error);
        Assert.Equal(300_000, file.Length);
    }
}
