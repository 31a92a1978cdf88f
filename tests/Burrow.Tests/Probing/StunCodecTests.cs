using System.Net;
using Burrow.Probing.Stun;

namespace Burrow.Tests.Probing;

public class StunCodecTests
{
    private static readonly StunTransactionId VectorId = StunTransactionId.From(Rfc5769Vectors.TransactionId);

    [Fact]
    public void Rfc5769_request_decodes_with_valid_fingerprint_and_integrity()
    {
        var message = StunCodec.Decode(Rfc5769Vectors.Request);
        Assert.Equal(StunClass.Request, message.Class);
        Assert.Equal(StunMessage.BindingMethod, message.Method);
        Assert.Equal(VectorId, message.TransactionId);
        Assert.Equal("STUN test client", message.Software);
        Assert.True(message.HasMessageIntegrity);
        Assert.True(message.HasFingerprint);
        Assert.Equal([(ushort)0x0024], message.UnknownRequired);  // PRIORITY (ICE): not ours, comprehension-required
        Assert.True(StunCodec.VerifyIntegrity(Rfc5769Vectors.Request, Rfc5769Vectors.Password));
        Assert.False(StunCodec.VerifyIntegrity(Rfc5769Vectors.Request, "wrong"));
    }

    [Fact]
    public void Rfc5769_ipv4_response_decodes_to_192_0_2_1_port_32853()
    {
        var message = StunCodec.Decode(Rfc5769Vectors.ResponseV4);
        Assert.Equal(StunClass.SuccessResponse, message.Class);
        Assert.Equal(VectorId, message.TransactionId);
        Assert.Equal("test vector", message.Software);
        Assert.Equal(IPEndPoint.Parse("192.0.2.1:32853"), message.Mapped);
        Assert.True(message.HasFingerprint);
        Assert.Empty(message.UnknownRequired);
        Assert.True(StunCodec.VerifyIntegrity(Rfc5769Vectors.ResponseV4, Rfc5769Vectors.Password));
    }

    [Fact]
    public void Rfc5769_ipv6_response_decodes_to_its_address()
    {
        var message = StunCodec.Decode(Rfc5769Vectors.ResponseV6);
        Assert.Equal(IPEndPoint.Parse("[2001:db8:1234:5678:11:2233:4455:6677]:32853"), message.Mapped);
        Assert.True(StunCodec.VerifyIntegrity(Rfc5769Vectors.ResponseV6, Rfc5769Vectors.Password));
    }

    [Fact]
    public void Encoding_reproduces_the_rfc5769_xor_mapped_address_and_fingerprint_bytes()
    {
        // Our encoder puts SOFTWARE after the address; so compare attribute by attribute, and the CRC on a
        // message of our own whose bytes are written out here.
        var v4 = StunCodec.Encode(new StunMessage(StunClass.SuccessResponse, StunMessage.BindingMethod, VectorId)
        {
            XorMappedAddress = IPEndPoint.Parse("192.0.2.1:32853"),
        }, fingerprint: false);
        Assert.Equal(Convert.FromHexString("010100" + "0c" + "2112a442b7e7a701bc34d686fa87dfae" + "00200008" + "0001a147e112a643"), v4);

        var v6 = StunCodec.Encode(new StunMessage(StunClass.SuccessResponse, StunMessage.BindingMethod, VectorId)
        {
            XorMappedAddress = IPEndPoint.Parse("[2001:db8:1234:5678:11:2233:4455:6677]:32853"),
        }, fingerprint: false);
        Assert.Equal(Rfc5769Vectors.ResponseV6.AsSpan(36, 24).ToArray(), v6.AsSpan(20).ToArray());
    }

    [Fact]
    public void Binding_request_with_change_request_is_byte_exact()
    {
        var bytes = StunCodec.Encode(StunMessage.BindingRequest(VectorId) with { ChangeRequest = StunChange.Ip | StunChange.Port });
        var expectedWithoutCrc = "0001" + "0010" + "2112a442" + "b7e7a701bc34d686fa87dfae" + "00030004" + "00000006" + "80280004";
        Assert.Equal(expectedWithoutCrc, Convert.ToHexStringLower(bytes.AsSpan(0, 32)));
        var decoded = StunCodec.Decode(bytes);
        Assert.Equal(StunChange.Ip | StunChange.Port, decoded.ChangeRequest);
        Assert.True(decoded.HasFingerprint);
    }

    [Fact]
    public void Rfc5780_response_attributes_round_trip_byte_exact()
    {
        var response = new StunMessage(StunClass.SuccessResponse, StunMessage.BindingMethod, VectorId)
        {
            XorMappedAddress = IPEndPoint.Parse("198.18.1.1:40000"),
            MappedAddress = IPEndPoint.Parse("198.18.1.1:40000"),
            ResponseOrigin = IPEndPoint.Parse("198.18.0.11:3479"),
            OtherAddress = IPEndPoint.Parse("198.18.0.11:3479"),
            ConnectBackResult = ConnectBackOutcome.Reset,
        };
        var bytes = StunCodec.Encode(response, fingerprint: false);
        Assert.Equal(
            "0101" + "0038" + "2112a442b7e7a701bc34d686fa87dfae" +
            "00200008" + "0001" + "bd52" + "e700a543" +  // 40000 ^ 0x2112; 198.18.1.1 ^ 2112a442
            "00010008" + "0001" + "9c40" + "c6120101" +
            "802b0008" + "0001" + "0d97" + "c612000b" +
            "802c0008" + "0001" + "0d97" + "c612000b" +
            "c0b10004" + "02000000",
            Convert.ToHexStringLower(bytes));
        Assert.Equal(response, StunCodec.Decode(bytes));
    }

    [Fact]
    public void Error_code_is_class_and_number()
    {
        var bytes = StunCodec.Encode(new StunMessage(StunClass.ErrorResponse, StunMessage.BindingMethod, VectorId)
        {
            Error = new StunError(420, "Unknown Attribute"),
        }, fingerprint: false);
        Assert.Equal("00090015" + "00000414" + Convert.ToHexStringLower("Unknown Attribute"u8) + "000000", Convert.ToHexStringLower(bytes.AsSpan(20)));
        Assert.Equal(new StunError(420, "Unknown Attribute"), StunCodec.Decode(bytes).Error);
        Assert.Equal(StunClass.ErrorResponse, StunCodec.Decode(bytes).Class);
    }

    [Theory]
    [InlineData("", StunDecodeError.TooShort)]
    [InlineData("000100002112a442b7e7a701bc34d686fa87df", StunDecodeError.TooShort)]
    [InlineData("c00100002112a442b7e7a701bc34d686fa87dfae", StunDecodeError.NotStun)]
    [InlineData("000100002112a443b7e7a701bc34d686fa87dfae", StunDecodeError.NotStun)]
    [InlineData("000100022112a442b7e7a701bc34d686fa87dfae", StunDecodeError.BadLength)]
    [InlineData("000100042112a442b7e7a701bc34d686fa87dfae", StunDecodeError.BadLength)]
    [InlineData("000100042112a442b7e7a701bc34d686fa87dfae00200004", StunDecodeError.TruncatedAttribute)]
    [InlineData("000100082112a442b7e7a701bc34d686fa87dfae0020000400030000", StunDecodeError.BadAttribute)]
    [InlineData("000100082112a442b7e7a701bc34d686fa87dfae8028000400000000", StunDecodeError.BadFingerprint)]
    public void Malformed_input_yields_the_typed_error(string hex, StunDecodeError expected)
    {
        Assert.False(StunCodec.TryDecode(Convert.FromHexString(hex), out _, out var error));
        Assert.Equal(expected, error);
        Assert.Equal(expected, Assert.Throws<StunFormatException>(() => StunCodec.Decode(Convert.FromHexString(hex))).Reason);
    }

    [Fact]
    public void A_flipped_bit_breaks_the_fingerprint()
    {
        var bytes = (byte[])Rfc5769Vectors.ResponseV4.Clone();
        bytes[30] ^= 0x01;  // inside SOFTWARE
        Assert.False(StunCodec.TryDecode(bytes, out _, out var error));
        Assert.Equal(StunDecodeError.BadFingerprint, error);
    }
}
