using System.Net;
using Burrow.Probing.Stun;
using CsCheck;

namespace Burrow.Tests.Probing;

/// <summary>Round trips, and garbage only ever yields a typed error (never an exception).</summary>
public class StunCodecPropertyTests
{
    private static readonly Gen<IPEndPoint> Endpoint =
        Gen.OneOf(Gen.Byte.Array[4], Gen.Byte.Array[16]).Select(Gen.Int[0, 65535], (a, p) => new IPEndPoint(new IPAddress(a), p));

    private static readonly Gen<StunMessage> Message =
        Gen.Select(Gen.Enum<StunClass>(), Gen.UShort[0, 0x0FFF], Gen.Byte.Array[12], Endpoint.Null(), Endpoint.Null(), Endpoint.Null(), Gen.Bool)
            .Select(t => new StunMessage(t.Item1, t.Item2, StunTransactionId.From(t.Item3))
            {
                XorMappedAddress = t.Item4,
                OtherAddress = t.Item5,
                ResponseOrigin = t.Item6,
                ChangeRequest = t.Item7 ? StunChange.Ip | StunChange.Port : StunChange.None,
                ConnectBack = t.Item7,
            });

    [Fact]
    public void Every_message_round_trips()
    {
        Message.Sample(message =>
        {
            var decoded = StunCodec.Decode(StunCodec.Encode(message));
            Assert.Equal(message with { HasFingerprint = true }, decoded);
        }, iter: 500);
    }

    [Fact]
    public void Random_bytes_only_ever_yield_a_typed_error()
    {
        Gen.Byte.Array[0, 200].Sample(bytes =>
        {
            if (!StunCodec.TryDecode(bytes, out _, out var error))
            {
                Assert.NotEqual(StunDecodeError.None, error);
            }
        }, iter: 5000);
    }

    [Fact]
    public void Random_attributes_behind_a_valid_header_only_ever_yield_a_typed_error()
    {
        Gen.Byte.Array[0, 30].Select(Gen.Int[0, 3]).Sample(t =>
        {
            var (body, pad) = t;
            var padded = body.Concat(new byte[(4 - body.Length % 4) % 4]).ToArray();
            var header = Convert.FromHexString("0101" + padded.Length.ToString("x4") + "2112a442b7e7a701bc34d686fa87dfae");
            var bytes = header.Concat(padded).ToArray();
            if (bytes.Length > 22)
            {
                bytes[20] = 0x00;  // steer towards known attributes
                bytes[21] = pad switch { 0 => 0x20, 1 => 0x01, 2 => 0x09, _ => bytes[21] };
            }
            if (StunCodec.TryDecode(bytes, out var message, out var error))
            {
                Assert.NotNull(message);
            }
            else
            {
                Assert.NotEqual(StunDecodeError.None, error);
            }
        }, iter: 5000);
    }

    [Fact]
    public void Any_truncation_or_flipped_byte_of_a_fingerprinted_message_is_caught()
    {
        var real = Rfc5769Vectors.ResponseV4;
        Gen.Int[0, real.Length - 1].Select(Gen.Byte[1, 255], Gen.Bool).Sample((at, xor, truncate) =>
        {
            var bytes = truncate ? real[..at] : real.ToArray();
            if (!truncate)
            {
                bytes[at] ^= xor;
            }
            if (StunCodec.TryDecode(bytes, out var message, out var error))
            {
                // only a flip that turns FINGERPRINT's type into another optional attribute decodes: then
                // the message no longer claims a fingerprint
                Assert.False(truncate);
                Assert.False(message.HasFingerprint);
            }
            else
            {
                Assert.NotEqual(StunDecodeError.None, error);
            }
        }, iter: 2000);
    }
}
