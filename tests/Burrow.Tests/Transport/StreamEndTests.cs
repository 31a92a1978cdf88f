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
}
