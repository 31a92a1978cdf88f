using System.Net;
using Burrow.Identity;
using Burrow.Rendezvous.Protocol;
using CsCheck;

namespace Burrow.Tests.Rendezvous;

/// <summary>The rendezvous wire format, byte for byte; garbage only ever yields a typed error.</summary>
public class RendezvousCodecTests
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    private static NodeId Id(byte fill) => NodeId.FromBytes(Enumerable.Repeat(fill, NodeId.Size).ToArray());

    private static string Ids(byte fill) => string.Concat(Enumerable.Repeat(fill.ToString("x2"), NodeId.Size));

    /// <summary>Each message and its exact encoding: version 01, type, body.</summary>
    public static TheoryData<string, string> Golden => new()
    {
        { "register", "0101" + "1001" },
        { "registered v4", "0102" + "04" + "c6120101" + "9c40" + "00000000001e8480" },
        { "registered v6", "0102" + "06" + "20010db8000000000000000000000001" + "01bb" + "0000000000000000" },
        { "refused", "0103" + "01" },
        { "time request", "0104" + "00000000000f4240" },
        { "time reply", "0105" + "0000000000000001" + "0000000000000002" + "0000000000000003" },
        { "signal to", "0106" + Ids(0x11) + "aabb" },
        { "signal from", "0107" + Ids(0x22) + "01" },
        { "signal failed", "0108" + Ids(0x33) + "01" },
        { "ping", "0109" + "0102030405060708" },
        { "pong", "010a" + "0000000000000007" },
    };

    private static RendezvousMessage Message(string name) => name switch
    {
        "register" => new Register(new byte[] { 0x10, 0x01 }),
        "registered v4" => new Registered(new IPEndPoint(IPAddress.Parse("198.18.1.1"), 40000), Epoch.AddSeconds(2)),
        "registered v6" => new Registered(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 443), Epoch),
        "refused" => new RegisterRefused(RegisterRefusal.KeyMismatch),
        "time request" => new TimeRequest(Epoch.AddSeconds(1)),
        "time reply" => new TimeReply(Epoch.AddTicks(10), Epoch.AddTicks(20), Epoch.AddTicks(30)),
        "signal to" => new SignalTo(Id(0x11), new byte[] { 0xAA, 0xBB }),
        "signal from" => new SignalFrom(Id(0x22), new byte[] { 0x01 }),
        "signal failed" => new SignalFailed(Id(0x33), SignalFailure.UnknownPeer),
        "ping" => new Ping(0x0102030405060708),
        "pong" => new Pong(7),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Golden))]
    public void Each_message_encodes_to_its_golden_bytes_and_back(string name, string hex)
    {
        var message = Message(name);
        Assert.Equal(hex, Convert.ToHexStringLower(RendezvousCodec.Encode(message)));
        Assert.True(RendezvousCodec.TryDecode(Convert.FromHexString(hex), out var decoded, out var error), error.ToString());
        Assert.Equal(message.Type, decoded.Type);
        Assert.Equal(hex, Convert.ToHexStringLower(RendezvousCodec.Encode(decoded)));
    }

    [Theory]
    [MemberData(nameof(Golden))]
    public void Every_truncation_of_a_message_is_a_typed_error(string name, string hex)
    {
        var bytes = Convert.FromHexString(hex);
        // A message whose last field is "the rest" (record, payload) is still one when cut inside that field;
        // the frame's length prefix is what detects such a cut (MessageStream: truncated_frame).
        var shortest = name switch
        {
            "register" => RendezvousCodec.HeaderSize + 1,
            "signal to" or "signal from" => RendezvousCodec.HeaderSize + NodeId.Size + 1,
            _ => bytes.Length,
        };
        for (var length = 0; length < shortest; length++)
        {
            Assert.False(RendezvousCodec.TryDecode(bytes.AsSpan(0, length), out _, out var error), $"{name} cut to {length}");
            Assert.NotEqual(RendezvousCodecError.None, error);
        }
        var decoded = RendezvousCodec.TryDecode([.. bytes, 0x00], out _, out var trailing);
        if (name is "register" or "signal to" or "signal from")
        {
            Assert.True(decoded); // their last field is "the rest of the message"
        }
        else
        {
            Assert.Equal(RendezvousCodecError.Malformed, trailing);
        }
    }

    [Theory]
    [InlineData("", RendezvousCodecError.Truncated)]
    [InlineData("01", RendezvousCodecError.Truncated)]
    [InlineData("0209" + "0102030405060708", RendezvousCodecError.UnsupportedVersion)]
    [InlineData("01ff", RendezvousCodecError.UnknownType)]
    [InlineData("0101", RendezvousCodecError.Truncated)]
    [InlineData("010309", RendezvousCodecError.Malformed)]
    [InlineData("0102" + "05" + "c6120101" + "9c40" + "0000000000000000", RendezvousCodecError.Malformed)]
    [InlineData("0102" + "06" + "00000000000000000000ffffc6120101" + "9c40" + "0000000000000000", RendezvousCodecError.Malformed)]
    [InlineData("0104" + "ffffffffffffffff", RendezvousCodecError.Malformed)]
    [InlineData("010800", RendezvousCodecError.Truncated)]
    public void Bad_input_yields_the_right_typed_error(string hex, RendezvousCodecError expected)
    {
        Assert.False(RendezvousCodec.TryDecode(Convert.FromHexString(hex), out var message, out var error));
        Assert.Null(message);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Oversized_messages_and_fields_are_refused()
    {
        Assert.Equal(4096, RendezvousCodec.MaxMessageSize);
        byte[] tooLong = [0x01, 0x06, .. new byte[RendezvousCodec.MaxMessageSize - 1]];
        Assert.False(RendezvousCodec.TryDecode(tooLong, out _, out var error));
        Assert.Equal(RendezvousCodecError.TooLarge, error);
        byte[] bigRecord = [0x01, 0x01, .. new byte[RendezvousCodec.MaxAddressRecordSize + 1]];
        Assert.False(RendezvousCodec.TryDecode(bigRecord, out _, out error));
        Assert.Equal(RendezvousCodecError.TooLarge, error);
        var largest = new SignalTo(Id(1), new byte[RendezvousCodec.MaxPayloadSize]);
        Assert.Equal(RendezvousCodec.MaxMessageSize, RendezvousCodec.Encode(largest).Length);
        Assert.Throws<ArgumentException>(() => RendezvousCodec.Encode(new SignalTo(Id(1), new byte[RendezvousCodec.MaxPayloadSize + 1])));
        Assert.Throws<ArgumentException>(() => RendezvousCodec.Encode(new SignalTo(Id(1), Array.Empty<byte>())));
    }

    [Fact]
    public void Random_bytes_only_ever_yield_a_typed_error_or_a_message_that_re_encodes_to_them()
    {
        var anyBytes = Gen.Byte.Array[0, 120];
        var framed = Gen.Select(Gen.Byte[0, 12], Gen.Byte.Array[0, 60], (type, body) => (byte[])[0x01, type, .. body]);
        foreach (var gen in new[] { anyBytes, framed })
        {
            gen.Sample(bytes =>
            {
                if (RendezvousCodec.TryDecode(bytes, out var message, out var error))
                {
                    Assert.Equal(bytes, RendezvousCodec.Encode(message)); // one message, one encoding
                }
                else
                {
                    Assert.NotEqual(RendezvousCodecError.None, error);
                }
            }, iter: 5000);
        }
    }

    [Fact]
    public void Random_messages_round_trip()
    {
        var id = Gen.Byte.Array[NodeId.Size].Select(b => NodeId.FromBytes(b));
        var payload = Gen.Byte.Array[1, 300];
        var time = Gen.Long[0, 4_000_000_000_000_000].Select(us => Epoch.AddTicks(us * 10));
        var endpoint = Gen.OneOf(
            Gen.Byte.Array[4].Select(b => new IPAddress(b)),
            Gen.Byte.Array[16].Select(b => new IPAddress(b)).Where(a => !a.IsIPv4MappedToIPv6))
            .Select(Gen.Int[0, 65535], (ip, port) => new IPEndPoint(ip, port));
        var message = Gen.OneOf<RendezvousMessage>(
            payload.Select(p => (RendezvousMessage)new Register(p)),
            endpoint.Select(time, (e, t) => (RendezvousMessage)new Registered(e, t)),
            time.Select(t => (RendezvousMessage)new TimeRequest(t)),
            Gen.Select(time, time, time, (a, b, c) => (RendezvousMessage)new TimeReply(a, b, c)),
            id.Select(payload, (i, p) => (RendezvousMessage)new SignalTo(i, p)),
            id.Select(payload, (i, p) => (RendezvousMessage)new SignalFrom(i, p)),
            id.Select(Gen.Enum<SignalFailure>(), (i, r) => (RendezvousMessage)new SignalFailed(i, r)),
            Gen.ULong.Select(v => (RendezvousMessage)new Ping(v)));
        message.Sample(m =>
        {
            var bytes = RendezvousCodec.Encode(m);
            Assert.True(RendezvousCodec.TryDecode(bytes, out var decoded, out var error), error.ToString());
            Assert.Equal(bytes, RendezvousCodec.Encode(decoded));
            switch ((m, decoded))
            {
                case (Registered a, Registered b):
                    Assert.Equal((a.ObservedEndPoint, a.ServerTime), (b.ObservedEndPoint, b.ServerTime));
                    break;
                case (SignalTo a, SignalTo b):
                    Assert.Equal(a.Target, b.Target);
                    Assert.Equal(a.Payload.ToArray(), b.Payload.ToArray());
                    break;
            }
        }, iter: 1000);
    }

    [Fact]
    public void Clock_offset_and_round_trip_follow_ntp()
    {
        // The server's clock is 500 ms ahead; 40 ms each way; the server holds the request 5 ms.
        var t0 = Epoch.AddSeconds(100);
        var t1 = t0.AddMilliseconds(40 + 500);
        var t2 = t1.AddMilliseconds(5);
        var t3 = t0.AddMilliseconds(85);
        var sample = ClockSample.From(t0, t1, t2, t3);
        Assert.Equal(TimeSpan.FromMilliseconds(500), sample.Offset);
        Assert.Equal(TimeSpan.FromMilliseconds(80), sample.RoundTrip);
        var worse = sample with { RoundTrip = TimeSpan.FromMilliseconds(200) };
        Assert.Equal(sample, ClockSample.Best(worse, sample));
        Assert.Equal(sample, ClockSample.Best(sample, worse));
        Assert.Equal(sample, ClockSample.Best(null, sample));
    }
}
