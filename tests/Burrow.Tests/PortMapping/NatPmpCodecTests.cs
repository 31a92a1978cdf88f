using System.Net;
using Burrow.PortMapping;
using Burrow.PortMapping.NatPmp;

namespace Burrow.Tests.PortMapping;

public class NatPmpCodecTests
{
    [Fact]
    public void External_address_request_is_version_0_opcode_0()
    {
        Assert.Equal([0x00, 0x00], NatPmpCodec.ExternalAddressRequest());
    }

    [Fact]
    public void A_tcp_map_request_uses_opcode_2_and_udp_opcode_1()
    {
        // version 0, opcode 2 (TCP), reserved, internal port 8080, suggested 18080, lifetime 7200
        Assert.Equal(Convert.FromHexString("00020000" + "1F90" + "46A0" + "00001C20"),
            NatPmpCodec.MapRequest(PortMapProtocol.Tcp, 8080, 18080, 7200));
        Assert.Equal(Convert.FromHexString("00010000" + "1F90" + "46A0" + "00001C20"),
            NatPmpCodec.MapRequest(PortMapProtocol.Udp, 8080, 18080, 7200));
    }

    [Fact]
    public void A_delete_is_a_map_request_with_lifetime_0_and_external_port_0()
    {
        Assert.Equal(Convert.FromHexString("000200001F900000" + "00000000"), NatPmpCodec.MapRequest(PortMapProtocol.Tcp, 8080, 0, 0));
    }

    [Fact]
    public void An_external_address_reply_decodes()
    {
        // version 0, opcode 128, result 0, epoch 1234, 198.18.1.1
        var reply = NatPmpCodec.ParseAddressReply(Convert.FromHexString("00800000000004D2C6120101"));
        Assert.Equal(new NatPmpAddressReply(NatPmpResult.Success, 1234, IPAddress.Parse("198.18.1.1")), reply);
    }

    [Fact]
    public void A_tcp_map_reply_decodes_and_a_udp_one_is_not_taken_for_it()
    {
        // opcode 130 = 128 + 2 (TCP), result 0, epoch 5, internal 8080, external 18080, lifetime 3600
        var bytes = Convert.FromHexString("00820000" + "00000005" + "1F90" + "46A0" + "00000E10");
        Assert.Equal(new NatPmpMapReply(NatPmpResult.Success, 5, 8080, 18080, 3600), NatPmpCodec.ParseMapReply(bytes, PortMapProtocol.Tcp));
        var e = Assert.Throws<PortMapFormatException>(() => NatPmpCodec.ParseMapReply(bytes, PortMapProtocol.Udp));
        Assert.Equal(PortMapFormatError.Mismatch, e.Reason);
    }

    [Theory]
    [InlineData(2, NatPmpResult.NotAuthorized)]
    [InlineData(3, NatPmpResult.NetworkFailure)]
    [InlineData(4, NatPmpResult.OutOfResources)]
    public void A_refusal_may_be_only_the_8_byte_header(int code, NatPmpResult expected)
    {
        var reply = NatPmpCodec.ParseMapReply([0, 130, 0, (byte)code, 0, 0, 0, 9], PortMapProtocol.Tcp);
        Assert.Equal(expected, reply.Result);
        Assert.Equal(9u, reply.Epoch);
    }

    [Fact]
    public void Every_truncation_of_a_reply_is_a_typed_error()
    {
        var full = Convert.FromHexString("00820000" + "00000005" + "1F90" + "46A0" + "00000E10");
        for (var length = 0; length < full.Length; length++)
        {
            var e = Assert.Throws<PortMapFormatException>(() => NatPmpCodec.ParseMapReply(full.AsSpan(0, length), PortMapProtocol.Tcp));
            Assert.Equal(PortMapFormatError.Truncated, e.Reason);
        }
        var address = Convert.FromHexString("00800000000004D2C6120101");
        for (var length = 0; length < address.Length; length++)
        {
            Assert.Throws<PortMapFormatException>(() => NatPmpCodec.ParseAddressReply(address.AsSpan(0, length)));
        }
    }

    [Theory]
    [InlineData("02820000000000051F9046A000000E10", PortMapFormatError.BadVersion)]   // a PCP server's version
    [InlineData("00020000000000051F9046A000000E10", PortMapFormatError.Mismatch)]     // our own request echoed
    [InlineData("00820009000000051F9046A000000E10", PortMapFormatError.BadField)]     // undefined result code
    public void Malformed_replies_are_typed_errors(string hex, PortMapFormatError expected)
    {
        var e = Assert.Throws<PortMapFormatException>(() => NatPmpCodec.ParseMapReply(Convert.FromHexString(hex), PortMapProtocol.Tcp));
        Assert.Equal(expected, e.Reason);
        Assert.Equal("portmap_bad_reply", e.Code);
    }

    [Fact]
    public void Random_bytes_only_ever_decode_or_give_a_typed_error()
    {
        var random = new Random(6886);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 24)];
            random.NextBytes(bytes);
            try
            {
                NatPmpCodec.ParseMapReply(bytes, PortMapProtocol.Tcp);
                NatPmpCodec.ParseAddressReply(bytes);
            }
            catch (PortMapFormatException)
            {
            }
        }
    }

    [Theory]
    [InlineData(1000u, 1100u, 100, false)]  // moved as much as we did
    [InlineData(1000u, 999u, 100, true)]    // went backwards: the gateway rebooted
    [InlineData(1000u, 1010u, 100, true)]   // moved far less than 7/8 of our 100 s
    [InlineData(1000u, 1086u, 100, false)]  // within 7/8 and the 2 s slack
    public void The_epoch_tells_a_gateway_that_lost_its_mappings(uint before, uint after, int elapsedSeconds, bool reset)
    {
        Assert.Equal(reset, NatPmpCodec.EpochIndicatesReset(before, after, TimeSpan.FromSeconds(elapsedSeconds)));
    }
}
