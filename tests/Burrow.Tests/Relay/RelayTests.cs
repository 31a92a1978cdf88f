using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Burrow.Identity;
using Burrow.Relay;
using Burrow.Tests.Transport;
using Burrow.Transport;
using CsCheck;

namespace Burrow.Tests.Relay;

public class RelayTests
{
    private static RelayServerOptions Options => new() { ListenEndpoints = [new IPEndPoint(IPAddress.Loopback, 0)] };

    [Fact]
    public void Bind_and_reply_are_pinned_byte_for_byte()
    {
        var token = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        Assert.Equal("42524C5902" + Convert.ToHexString(token), Convert.ToHexString(RelayHandshake.EncodeBind(token)));
        Assert.Equal(token, RelayHandshake.TryDecodeBind(RelayHandshake.EncodeBind(token)));
        var limits = new RelayLimits(0x0102030405, TimeSpan.FromSeconds(600)) { MaxIdle = TimeSpan.FromSeconds(60) };
        var reply = RelayHandshake.EncodeReply(RelayStatus.Paired, limits);
        Assert.Equal("00" + "0000000102030405" + "00000258" + "0000003C", Convert.ToHexString(reply));
        Assert.Equal((RelayStatus.Paired, limits), RelayHandshake.TryDecodeReply(reply));
        var noIdleLimit = RelayHandshake.EncodeReply(RelayStatus.Paired, limits with { MaxIdle = Timeout.InfiniteTimeSpan });
        Assert.Equal("FFFFFFFF", Convert.ToHexString(noIdleLimit.AsSpan(13)));
        Assert.Equal(Timeout.InfiniteTimeSpan, RelayHandshake.TryDecodeReply(noIdleLimit)!.Value.Limits.MaxIdle);
        // No duration limit is said the same way (it was once clamped to 0: "the session ends at once").
        var noDurationLimit = RelayHandshake.EncodeReply(RelayStatus.Paired, limits with { MaxDuration = Timeout.InfiniteTimeSpan });
        Assert.Equal("FFFFFFFF", Convert.ToHexString(noDurationLimit.AsSpan(9, 4)));
        Assert.Equal(Timeout.InfiniteTimeSpan, RelayHandshake.TryDecodeReply(noDurationLimit)!.Value.Limits.MaxDuration);
        Assert.Equal("00000001", Convert.ToHexString(RelayHandshake.EncodeReply(RelayStatus.Paired, limits with { MaxDuration = TimeSpan.FromMilliseconds(1999) })
            .AsSpan(9, 4)));
    }

    [Fact]
    public void Anything_else_is_not_a_bind_or_a_reply() =>
        Gen.Byte.Array[0, 64].Sample(bytes =>
        {
            var token = RelayHandshake.TryDecodeBind(bytes);
            Assert.True(token is null || (bytes.Length == RelayHandshake.BindSize && bytes[4] == RelayHandshake.Version));
            if (RelayHandshake.TryDecodeReply(bytes) is var (status, limits))
            {
                Assert.Equal(RelayHandshake.ReplySize, bytes.Length);
                Assert.InRange((byte)status, 0, 3);
                Assert.True(limits.MaxBytes >= 0);
            }
        });

    [Fact(Timeout = 30_000)]
    public async Task Two_binds_of_one_token_are_spliced_and_the_peers_authenticate_end_to_end_through_it()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var relay = RelayServer.Start(Options);
        var token = RandomNumberGenerator.GetBytes(RelayHandshake.TokenSize);
        var aliceBind = RelayClient.BindAsync(relay.EndPoints[0], token, ct);
        var bobBind = RelayClient.BindAsync(relay.EndPoints[0], token, ct);
        var (aliceSocket, limits) = await aliceBind;
        var (bobSocket, _) = await bobBind;
        Assert.Equal(Options.Limits, limits);

        await using var tls = await TlsPair.OverAsync(aliceSocket, bobSocket, bobChecks: false, ct);
        Assert.Equal(tls.BobId, tls.AliceSees);
        Assert.Equal(tls.AliceId, tls.BobSees);
        var payload = RandomNumberGenerator.GetBytes(300_000);
        await tls.Alice.WriteAsync(payload, ct);
        await tls.Alice.ShutdownAsync();
        aliceSocket.Shutdown(SocketShutdown.Send); // the half-close crosses the relay
        using var received = new MemoryStream();
        await tls.Bob.CopyToAsync(received, ct);
        Assert.Equal(payload, received.ToArray());
    }

    [Fact(Timeout = 30_000)]
    public async Task A_session_the_relay_ends_at_its_byte_limit_is_a_cut_to_the_reader_not_the_peers_end()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var relay = RelayServer.Start(Options with { Limits = new RelayLimits(200_000, TimeSpan.FromMinutes(1)) });
        var token = RandomNumberGenerator.GetBytes(RelayHandshake.TokenSize);
        var aliceBind = RelayClient.BindAsync(relay.EndPoints[0], token, ct);
        var (bobSocket, _) = await RelayClient.BindAsync(relay.EndPoints[0], token, ct);
        var (aliceSocket, _) = await aliceBind;
        await using var tls = await TlsPair.OverAsync(aliceSocket, bobSocket, bobChecks: false, ct);

        var payload = RandomNumberGenerator.GetBytes(1_000_000);
        var sending = tls.Alice.WriteAsync(payload, ct).AsTask(); // the relay reads and drops what is past its limit
        var buffer = new byte[64 * 1024];
        long received = 0;
        var e = await Assert.ThrowsAsync<IOException>(async () =>
        {
            int n;
            while ((n = await tls.Bob.ReadAsync(buffer, ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct)) > 0)
            {
                received += n;
            }
        });
        StreamEndTests.AssertCut(e);
        Assert.InRange(received, 1, 200_000);
        await sending.WaitAsync(TimeSpan.FromSeconds(10), ct);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_bind_nobody_answers_a_garbage_bind_and_a_full_relay_are_refused_with_their_reason()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var relay = RelayServer.Start(Options with { PairTimeout = TimeSpan.FromMilliseconds(200), MaxSessions = 1 });
        var endpoint = relay.EndPoints[0];
        var lonely = await Assert.ThrowsAsync<RelayRefusedException>(() => RelayClient.BindAsync(endpoint, new byte[32], ct));
        Assert.Equal(RelayStatus.NoPeer, lonely.Status);

        using (var garbage = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await garbage.ConnectAsync(endpoint, ct);
            await garbage.SendAsync(new byte[RelayHandshake.BindSize], SocketFlags.None, ct);
            var reply = new byte[RelayHandshake.ReplySize];
            await garbage.ReceiveAsync(reply, SocketFlags.None, ct);
            Assert.Equal((byte)RelayStatus.BadRequest, reply[0]);
        }

        // One session allowed: two connections are in, a third is told the relay is full.
        var token = RandomNumberGenerator.GetBytes(32);
        var first = RelayClient.BindAsync(endpoint, token, ct);
        var (second, _) = await RelayClient.BindAsync(endpoint, token, ct);
        using var _ = second;
        using var __ = (await first).Socket;
        var full = await Assert.ThrowsAsync<RelayRefusedException>(() => RelayClient.BindAsync(endpoint, RandomNumberGenerator.GetBytes(32), ct));
        Assert.Equal(RelayStatus.Full, full.Status);
    }
}
