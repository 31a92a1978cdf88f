using Burrow.Identity;
using Burrow.Rendezvous.Datagram;

namespace Burrow.Tests.Rendezvous.Datagram;

/// <summary>The datagram wire format byte for byte, and what it refuses.</summary>
public sealed class DatagramPacketTests
{
    private static byte[] Bytes(int count, byte first) => [.. Enumerable.Range(0, count).Select(i => (byte)(first + i))];

    [Fact]
    public void A_hello_is_the_header_the_nonce_and_zero_padding()
    {
        var hello = DatagramPacket.Hello(Bytes(16, 1));
        Assert.Equal(96, hello.Length);
        Assert.Equal("42520101" + "0102030405060708090a0b0c0d0e0f10", Convert.ToHexStringLower(hello[..20]));
        Assert.All(hello[20..], b => Assert.Equal(0, b));
        Assert.True(DatagramPacket.TryReadKind(hello, out var kind));
        Assert.Equal(DatagramKind.Hello, kind);
    }

    [Fact]
    public void A_challenge_is_never_larger_than_the_hello_that_asked_for_it()
    {
        Assert.True(DatagramPacket.ChallengeSize <= DatagramPacket.HelloSize);
        var challenge = DatagramPacket.Challenge(Bytes(16, 1), 0x0102030405060708, Bytes(16, 0x20), Bytes(33, 0x40));
        Assert.Equal(77, challenge.Length);
        Assert.Equal("42520102", Convert.ToHexStringLower(challenge[..4]));
        Assert.Equal("0102030405060708", Convert.ToHexStringLower(challenge[20..28]));
        DatagramPacket.ReadChallenge(challenge, out var nonce, out var issued, out var cookie, out var key);
        Assert.Equal(Bytes(16, 1), nonce.ToArray());
        Assert.Equal(0x0102030405060708UL, issued);
        Assert.Equal(Bytes(16, 0x20), cookie.ToArray());
        Assert.Equal(Bytes(33, 0x40), key.ToArray());
    }

    [Fact]
    public void A_join_carries_its_fields_in_order()
    {
        var join = DatagramPacket.Join(Bytes(16, 1), 7, Bytes(16, 0x20), Bytes(33, 0x40), Bytes(33, 0x70), Bytes(64, 0x90));
        Assert.Equal(4 + 16 + 8 + 16 + 33 + 33 + 64, join.Length);
        Assert.Equal("42520103", Convert.ToHexStringLower(join[..4]));
        Assert.Equal("0000000000000007", Convert.ToHexStringLower(join[20..28]));
        var fields = DatagramPacket.ReadJoin(join);
        Assert.Equal(7UL, fields.Issued);
        Assert.Equal(Bytes(16, 0x20), fields.Cookie.ToArray());
        Assert.Equal(Bytes(33, 0x40), fields.ClientKey.ToArray());
        Assert.Equal(Bytes(33, 0x70), fields.NodeKey.ToArray());
        Assert.Equal(Bytes(64, 0x90), fields.Signature.ToArray());
    }

    [Fact]
    public void A_data_header_and_a_reset_name_the_session()
    {
        var header = new byte[DatagramPacket.DataHeaderSize];
        DatagramPacket.WriteDataHeader(header, 0x1112131415161718, 0x21, DatagramPacket.Control);
        Assert.Equal("42520104" + "1112131415161718" + "0000000000000021" + "01", Convert.ToHexStringLower(header));
        Assert.Equal((0x1112131415161718UL, 0x21UL, (byte)1), DatagramPacket.ReadDataHeader(header));
        var reset = DatagramPacket.Reset(0x1112131415161718);
        Assert.Equal("42520105" + "1112131415161718", Convert.ToHexStringLower(reset));
        Assert.Equal(0x1112131415161718UL, DatagramPacket.ReadSession(reset));
    }

    [Theory]
    [InlineData("")]
    [InlineData("4252")]
    [InlineData("42520201")] // another version
    [InlineData("43520101")] // not ours
    [InlineData("42520109")] // unknown kind
    [InlineData("42520105")] // a reset without its session
    [InlineData("425201050102030405060708ff")] // a reset with a byte too many
    [InlineData("4252010411121314151617180000000000000021010203")] // data too short for its tag
    public void Anything_else_is_not_a_packet(string hex)
    {
        Assert.False(DatagramPacket.TryReadKind(Convert.FromHexString(hex), out _));
    }

    [Fact]
    public void A_hello_or_join_of_the_wrong_length_is_refused_and_data_is_capped()
    {
        var hello = DatagramPacket.Hello(Bytes(16, 1));
        Assert.False(DatagramPacket.TryReadKind(hello[..95], out _));
        var join = DatagramPacket.Join(Bytes(16, 1), 7, Bytes(16, 0x20), Bytes(33, 0x40), Bytes(33, 0x70), Bytes(64, 0x90));
        Assert.False(DatagramPacket.TryReadKind([.. join, 0], out _));
        var data = new byte[DatagramPacket.MaxSize + 1];
        DatagramPacket.WriteDataHeader(data, 1, 1, 0);
        Assert.False(DatagramPacket.TryReadKind(data, out _));
        Assert.True(DatagramPacket.TryReadKind(data.AsSpan(0, DatagramPacket.MaxSize), out _));
    }

    [Fact]
    public void A_field_of_the_wrong_size_is_a_programming_error()
    {
        Assert.Throws<ArgumentException>(() => DatagramPacket.Hello(Bytes(15, 1)));
        Assert.Throws<ArgumentException>(() => DatagramPacket.Join(Bytes(16, 1), 7, Bytes(16, 0x20), Bytes(33, 0x40), Bytes(33, 0x70), Bytes(63, 0x90)));
        Assert.Equal(NodeIdentity.SignatureSize, 64);
    }
}
