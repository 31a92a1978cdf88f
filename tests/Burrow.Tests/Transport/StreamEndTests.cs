using System.Net.Sockets;
using Burrow.Transport;

namespace Burrow.Tests.Transport;

/// <summary>
/// A peer's stream ends (reads return 0) only at the peer's TLS close_notify; a transport that just ends — a FIN with
/// no close_notify before it, as a relay cutting a session or anyone forging one on the path sends — is a cut.
/// </summary>
public class StreamEndTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    internal static void AssertCut(IOException e) =>
        Assert.Equal("stream_truncated", Assert.IsType<ProtocolViolationException>(e.InnerException).Code);

    /// <summary>Alice sends <paramref name="data"/>, then her transport just ends: what a relay at its limit, or a forged FIN, looks like.</summary>
    private static async Task SendThenCutAsync(TlsPair pair, byte[] data, CancellationToken ct)
    {
        await pair.Alice.WriteAsync(data, ct);
        await pair.Alice.FlushAsync(ct);
        pair.AliceSocket.Shutdown(SocketShutdown.Send);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_fin_without_close_notify_is_a_cut_after_the_bytes_that_came_and_stays_one()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pair = await TlsPair.StartAsync(ct);
        await SendThenCutAsync(pair, "hello"u8.ToArray(), ct);

        var buffer = new byte[5];
        await pair.Bob.ReadExactlyAsync(buffer, ct).AsTask().WaitAsync(Deadline, ct);
        Assert.Equal("hello"u8.ToArray(), buffer);
        AssertCut(await Assert.ThrowsAsync<IOException>(() => pair.Bob.ReadAsync(buffer, ct).AsTask().WaitAsync(Deadline, ct)));
        AssertCut(await Assert.ThrowsAsync<IOException>(() => pair.Bob.ReadAsync(buffer, ct).AsTask()));
        AssertCut(Assert.Throws<IOException>(() => pair.Bob.Read(buffer, 0, buffer.Length)));
        AssertCut(Assert.Throws<IOException>(() => pair.Bob.ReadByte()));
    }

    [Fact(Timeout = 30_000)]
    public async Task The_synchronous_reads_see_the_cut_too()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pair = await TlsPair.StartAsync(ct);
        await SendThenCutAsync(pair, "x"u8.ToArray(), ct);

        Assert.Equal('x', pair.Bob.ReadByte());
        AssertCut(Assert.Throws<IOException>(() => pair.Bob.Read(new byte[4].AsSpan())));
    }

    [Fact(Timeout = 30_000)]
    public async Task Close_notify_ends_the_reads_cleanly_and_the_transport_ending_after_it_changes_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pair = await TlsPair.StartAsync(ct);
        await pair.Alice.WriteAsync("bye"u8.ToArray(), ct);
        await pair.Alice.ShutdownAsync();
        pair.AliceSocket.Shutdown(SocketShutdown.Send);
        await Task.Delay(100, ct); // both the close_notify and the FIN are here before the first read

        // A zero-byte read (a wait for data, as the rendezvous connection does) is not taken for an end either.
        Assert.Equal(0, await pair.Bob.ReadAsync(Memory<byte>.Empty, ct));
        using var received = new MemoryStream();
        await pair.Bob.CopyToAsync(received, ct);
        Assert.Equal("bye"u8.ToArray(), received.ToArray());
        Assert.Equal(0, await pair.Bob.ReadAsync(new byte[4], ct));
        Assert.Equal(0, pair.Bob.Read(new byte[4], 0, 4));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_connection_disposed_without_completing_its_writes_still_ends_the_peers_stream_cleanly()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pair = await TlsPair.StartAsync(ct);
        var alice = new PeerConnection(pair.AliceSocket, pair.Alice, pair.BobId, "direct", TimeSpan.Zero, initiated: true);
        await alice.Stream.WriteAsync("last words"u8.ToArray(), ct);
        await alice.DisposeAsync(); // no CompleteWritesAsync: the dispose sends the close_notify

        using var received = new MemoryStream();
        await pair.Bob.CopyToAsync(received, ct).WaitAsync(Deadline, ct);
        Assert.Equal("last words"u8.ToArray(), received.ToArray());
    }

    [Fact(Timeout = 30_000)]
    public async Task A_reset_is_a_fault_not_an_end()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pair = await TlsPair.StartAsync(ct);
        pair.AliceSocket.LingerState = new LingerOption(true, 0);
        pair.AliceSocket.Close(); // RST
        await Assert.ThrowsAsync<IOException>(() => pair.Bob.ReadAsync(new byte[4], ct).AsTask().WaitAsync(Deadline, ct));
    }

    [Fact(Timeout = 120_000)]
    public async Task Both_ends_completing_their_writes_while_reading_each_others_end_lose_nothing()
    {
        // Each end reads the other's bytes and close_notify while it sends its own close_notify: OpenSSL's SSL_shutdown
        // meeting an SSL_read on the same connection once failed that read in CI ("the decryption operation failed").
        var ct = TestContext.Current.CancellationToken;
        var data = new byte[4096];
        for (var round = 0; round < 200; round++)
        {
            await using var pair = await TlsPair.StartAsync(ct);
            var alice = new PeerConnection(pair.AliceSocket, pair.Alice, pair.BobId, "direct", TimeSpan.Zero, initiated: true);
            var bob = new PeerConnection(pair.BobSocket, pair.Bob, pair.AliceId, "accepted", TimeSpan.Zero, initiated: false);
            async Task<long> EndAsync(PeerConnection end)
            {
                var reading = Task.Run(async () =>
                {
                    using var received = new MemoryStream();
                    await end.Stream.CopyToAsync(received, ct);
                    return received.Length;
                }, ct);
                await end.Stream.WriteAsync(data, ct);
                await end.CompleteWritesAsync();
                return await reading.WaitAsync(Deadline, ct);
            }
            var both = await Task.WhenAll(Task.Run(() => EndAsync(alice), ct), Task.Run(() => EndAsync(bob), ct));
            Assert.Equal([data.Length, data.Length], both);
            await alice.DisposeAsync();
            await bob.DisposeAsync();
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_transport_that_ends_inside_a_record_is_a_cut_too()
    {
        var ct = TestContext.Current.CancellationToken;
        HalvingTransport? halving = null;
        await using var pair = await TlsPair.StartAsync(transport => halving = new HalvingTransport(transport), ct);
        halving!.Armed = () => pair.AliceSocket.Shutdown(SocketShutdown.Send);
        await pair.Alice.WriteAsync(new byte[1000], ct); // one record: half of it goes, then the FIN

        var e = await Assert.ThrowsAsync<IOException>(() => pair.Bob.ReadAsync(new byte[1000], ct).AsTask().WaitAsync(Deadline, ct));
        AssertCut(e);
        Assert.IsType<IOException>(e.InnerException!.InnerException); // SslStream's own "unexpected EOF" inside the record
    }

    [Fact(Timeout = 30_000)]
    public async Task A_read_cancelled_while_it_waits_leaves_the_stream_whole_and_the_close_notify_free_to_go()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pair = await TlsPair.StartAsync(ct);
        using (var soon = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            soon.CancelAfter(TimeSpan.FromMilliseconds(100));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pair.Bob.ReadAsync(new byte[16], soon.Token).AsTask());
        }

        await pair.Bob.ShutdownAsync().WaitAsync(Deadline, ct); // the gate the cancelled read held is free
        await pair.Alice.WriteAsync("x"u8.ToArray(), ct);
        await pair.Alice.ShutdownAsync();
        using var received = new MemoryStream();
        await pair.Bob.CopyToAsync(received, ct).WaitAsync(Deadline, ct);
        Assert.Equal("x"u8.ToArray(), received.ToArray());
        Assert.Equal(0, await pair.Alice.ReadAsync(new byte[16], ct).AsTask().WaitAsync(Deadline, ct)); // Bob's close_notify
    }

    [Fact(Timeout = 60_000)]
    public async Task A_dispose_in_the_middle_of_a_write_never_gives_the_peer_a_clean_end_short_of_the_data()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pair = await TlsPair.StartAsync(ct);
        var alice = new PeerConnection(pair.AliceSocket, pair.Alice, pair.BobId, "direct", TimeSpan.Zero, initiated: true);
        var data = new byte[64 * 1024 * 1024];
        // Bob reads slowly (about 6 MiB/s): the write stays in the middle for seconds, with room now and then for more.
        long received = 0;
        var reading = Task.Run(async () =>
        {
            var buffer = new byte[32 * 1024];
            int n;
            while ((n = await pair.Bob.ReadAsync(buffer, ct).AsTask().WaitAsync(Deadline, ct)) > 0)
            {
                received += n;
                await Task.Delay(5, ct);
            }
        }, ct);
        var writing = alice.Stream.WriteAsync(data, ct).AsTask();
        await Task.Delay(300, ct);
        Assert.False(writing.IsCompleted);
        await alice.DisposeAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => writing.WaitAsync(Deadline, ct));

        AssertCut(await Assert.ThrowsAsync<IOException>(() => reading));
        Assert.InRange(received, 1, data.Length - 1);
    }

    /// <summary>A transport that, once <see cref="Armed"/>, writes half of the next write and then runs the action (a FIN).</summary>
    private sealed class HalvingTransport(Stream inner) : PassThroughStream(inner)
    {
        public Action? Armed { get; set; }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Armed is not { } cut)
            {
                await Inner.WriteAsync(buffer, cancellationToken);
                return;
            }
            await Inner.WriteAsync(buffer[..(buffer.Length / 2)], cancellationToken);
            await Inner.FlushAsync(cancellationToken);
            cut();
        }
    }
}
