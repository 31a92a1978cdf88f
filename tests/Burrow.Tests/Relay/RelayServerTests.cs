using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Burrow.Relay;
using Microsoft.Extensions.Time.Testing;

namespace Burrow.Tests.Relay;

/// <summary>The relay server's accept loop and how its sessions end, over loopback.</summary>
public class RelayServerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static RelayServerOptions Options => new() { ListenEndpoints = [new IPEndPoint(IPAddress.Loopback, 0)] };

    private static async Task<(Socket Alice, Socket Bob)> PairAsync(RelayServer relay, CancellationToken ct)
    {
        var token = RandomNumberGenerator.GetBytes(RelayHandshake.TokenSize);
        var alice = RelayClient.BindAsync(relay.EndPoints[0], token, ct);
        var (bob, _) = await RelayClient.BindAsync(relay.EndPoints[0], token, ct).WaitAsync(Deadline, ct);
        return ((await alice.WaitAsync(Deadline, ct)).Socket, bob);
    }

    /// <summary>Everything the socket receives up to end-of-stream; a reset fails the test with its exception.</summary>
    private static async Task<byte[]> ReadToEndAsync(Socket socket, CancellationToken ct)
    {
        using var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct).AsTask().WaitAsync(Deadline, ct)) > 0)
        {
            received.Write(buffer, 0, n);
        }
        return received.ToArray();
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        for (var got = 0; got < count;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, ct).AsTask().WaitAsync(Deadline, ct);
            got += n > 0 ? n : throw new EndOfStreamException($"end-of-stream after {got} of {count} bytes");
        }
        return buffer;
    }

    [Fact(Timeout = 30_000)]
    public async Task The_accept_loop_goes_on_past_accept_errors_and_a_connection_that_fails_as_it_is_set_up()
    {
        var ct = TestContext.Current.CancellationToken;
        Socket? broken = null;
        var accepts = new Queue<Func<Socket>>([
            () => throw new SocketException((int)SocketError.TooManyOpenSockets), // EMFILE
            () => throw new SocketException((int)SocketError.ConnectionAborted),
            () => broken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp), // NoDelay fails on it
        ]);
        await using var relay = RelayServer.Start(Options,
            async (listener, token) => accepts.TryDequeue(out var next) ? next() : await listener.AcceptAsync(token));

        var (alice, bob) = await PairAsync(relay, ct);
        using var _ = alice;
        using var __ = bob;
        Assert.Empty(accepts);
        Assert.True(broken!.SafeHandle.IsClosed, "the connection that failed as it was set up is closed");
        await alice.SendAsync("hi"u8.ToArray(), SocketFlags.None, ct);
        Assert.Equal("hi"u8.ToArray(), await ReadExactlyAsync(bob, 2, ct));
    }

    [Fact(Timeout = 30_000)]
    public async Task At_its_byte_limit_a_session_delivers_what_it_forwarded_then_end_of_stream_to_both_ends()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var relay = RelayServer.Start(Options with { Limits = new RelayLimits(10_000, TimeSpan.FromMinutes(1)) });
        var (alice, bob) = await PairAsync(relay, ct);
        using var _ = alice;
        using var __ = bob;
        var payload = RandomNumberGenerator.GetBytes(100_000);
        var sending = alice.SendAsync(payload, SocketFlags.None, ct).AsTask();

        Assert.Equal(payload[..10_000], await ReadToEndAsync(bob, ct));
        Assert.Empty(await ReadToEndAsync(alice, ct)); // the relay half-closed towards the sender too
        Assert.Equal(payload.Length, await sending.WaitAsync(Deadline, ct)); // the rest was read and dropped, not reset
    }

    [Fact(Timeout = 30_000)]
    public async Task At_its_time_limit_a_session_ends_with_end_of_stream_to_both_ends()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider();
        await using var relay = RelayServer.Start(Options with { Time = time, Limits = new RelayLimits(1 << 20, TimeSpan.FromMinutes(1)) });
        var (alice, bob) = await PairAsync(relay, ct);
        using var _ = alice;
        using var __ = bob;
        await alice.SendAsync(new byte[1000], SocketFlags.None, ct);
        Assert.Equal(1000, (await ReadExactlyAsync(bob, 1000, ct)).Length);

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(await ReadToEndAsync(bob, ct));
        Assert.Empty(await ReadToEndAsync(alice, ct));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_session_that_carries_nothing_for_the_idle_timeout_is_ended_and_gives_its_slots_back()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider();
        await using var relay = RelayServer.Start(Options with { Time = time, Limits = Options.Limits with { MaxIdle = TimeSpan.FromSeconds(60) } });
        var (alice, bob) = await PairAsync(relay, ct);
        using (alice)
        using (bob)
        {
            time.Advance(TimeSpan.FromSeconds(59));
            await alice.SendAsync(new byte[1], SocketFlags.None, ct);
            await ReadExactlyAsync(bob, 1, ct); // still up just before the idle timeout
            time.Advance(TimeSpan.FromSeconds(59));
            await bob.SendAsync(new byte[1], SocketFlags.None, ct);
            await ReadExactlyAsync(alice, 1, ct); // a byte either way starts the idle time again
            Assert.Equal(2, relay.Connections);

            time.Advance(TimeSpan.FromSeconds(60));
            Assert.Empty(await ReadToEndAsync(alice, ct));
            Assert.Empty(await ReadToEndAsync(bob, ct));
        }
        await Eventually.HoldsAsync(() => relay.Connections == 0, ct);
    }

    [Fact(Timeout = 30_000)]
    public async Task Ends_that_never_close_after_a_limit_are_dropped_at_the_close_timeout()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider();
        await using var relay = RelayServer.Start(Options with
        {
            Time = time,
            Limits = new RelayLimits(1000, TimeSpan.FromMinutes(1)),
            CloseTimeout = TimeSpan.FromSeconds(5),
        });
        var (alice, bob) = await PairAsync(relay, ct);
        using var _ = alice;
        using var __ = bob;
        await alice.SendAsync(new byte[2000], SocketFlags.None, ct);
        Assert.Equal(1000, (await ReadToEndAsync(bob, ct)).Length);
        Assert.Empty(await ReadToEndAsync(alice, ct));
        Assert.Equal(2, relay.Connections); // neither end has closed: the relay waits for them

        time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.HoldsAsync(() => relay.Connections == 0, ct);
    }
}
