using System.Net;
using Burrow.PortMapping;
using Burrow.PortMapping.Pcp;

namespace Burrow.Tests.PortMapping;

public class PcpCodecTests
{
    /// <summary>
    /// A MAP reply captured from a real router, as published in Tailscale's portmapper tests
    /// (net/portmapper/pcp_test.go): UDP, internal and external port 1234, 135.180.175.246, lifetime 7200 s.
    /// </summary>
    private static readonly byte[] RealRouterMapReply =
    [
        2, 129, 0, 0, 0, 0, 28, 32, 0, 2, 155, 237, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        129, 112, 9, 24, 241, 208, 251, 45, 157, 76, 10, 188, 17, 0, 0, 0, 4, 210, 4, 210,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 135, 180, 175, 246,
    ];

    private static readonly byte[] Nonce = Convert.FromHexString("0102030405060708090A0B0C");

    [Fact]
    public void A_real_routers_map_reply_decodes()
    {
        var reply = PcpCodec.ParseReply(RealRouterMapReply);
        Assert.Equal(PcpCodec.OpMap, reply.Opcode);
        Assert.Equal(PcpResult.Success, reply.Result);
        Assert.Equal(7200u, reply.Lifetime);
        Assert.Equal(0x00029BEDu, reply.Epoch);
        var map = Assert.IsType<PcpMapData>(reply.Map);
        Assert.Equal(17, map.Protocol); // UDP
        Assert.Equal(1234, map.InternalPort);
        Assert.Equal(1234, map.ExternalPort);
        Assert.Equal(IPAddress.Parse("135.180.175.246"), map.ExternalAddress);
        Assert.Equal(Convert.FromHexString("817009 18F1D0FB2D9D4C0ABC".Replace(" ", "")), map.Nonce);
    }

    [Fact]
    public void A_map_request_is_60_bytes_byte_for_byte()
    {
        var request = PcpCodec.MapRequest(IPAddress.Parse("192.168.1.10"), Nonce, PortMapProtocol.Tcp, 8080, 18080, null, 7200);
        var expected = Convert.FromHexString(
            "02010000" + "00001C20" + "00000000000000000000FFFFC0A8010A"     // version 2, MAP, lifetime, client ::ffff:192.168.1.10
            + "0102030405060708090A0B0C" + "06000000" + "1F90" + "46A0"     // nonce, TCP (6), internal, suggested external
            + "00000000000000000000FFFF00000000");                         // suggested external address ::ffff:0.0.0.0
        Assert.Equal(expected, request);
    }

    [Fact]
    public void An_announce_request_is_the_24_byte_header_with_opcode_0()
    {
        Assert.Equal(Convert.FromHexString("0200000000000000" + "00000000000000000000FFFFC0A8010A"), PcpCodec.AnnounceRequest(IPAddress.Parse("192.168.1.10")));
    }

    [Fact]
    public void Tcp_is_protocol_6_and_udp_17()
    {
        Assert.Equal(6, PcpCodec.ProtocolNumber(PortMapProtocol.Tcp));
        Assert.Equal(17, PcpCodec.ProtocolNumber(PortMapProtocol.Udp));
    }

    [Fact]
    public void Every_truncation_of_the_real_reply_is_a_typed_error()
    {
        for (var length = 0; length < RealRouterMapReply.Length; length++)
        {
            var e = Assert.Throws<PortMapFormatException>(() => PcpCodec.ParseReply(RealRouterMapReply.AsSpan(0, length)));
            Assert.Equal(PortMapFormatError.Truncated, e.Reason);
        }
    }

    [Fact]
    public void An_error_reply_decodes_with_its_result_code()
    {
        var bytes = (byte[])RealRouterMapReply.Clone();
        bytes[3] = (byte)PcpResult.NotAuthorized;
        Assert.Equal(PcpResult.NotAuthorized, PcpCodec.ParseReply(bytes).Result);
        Assert.Equal(PcpResult.NoResources, PcpCodec.ParseReply([2, 129, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).Result);
    }

    [Theory]
    [InlineData(0, 0, PortMapFormatError.BadVersion)]      // a NAT-PMP-only server answering "unsupported version"
    [InlineData(1, 0x01, PortMapFormatError.Mismatch)]     // R bit clear: a request, not a reply
    [InlineData(3, 99, PortMapFormatError.BadField)]       // undefined result code
    public void Malformed_replies_are_typed_errors(int offset, byte value, PortMapFormatError expected)
    {
        var bytes = (byte[])RealRouterMapReply.Clone();
        bytes[offset] = value;
        Assert.Equal(expected, Assert.Throws<PortMapFormatException>(() => PcpCodec.ParseReply(bytes)).Reason);
    }

    [Fact]
    public void Random_bytes_only_ever_decode_or_give_a_typed_error()
    {
        var random = new Random(6887);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 70)];
            random.NextBytes(bytes);
            if (bytes.Length > 1 && i % 2 == 0)
            {
                bytes[0] = 2;
                bytes[1] |= 0x80;
            }
            try
            {
                PcpCodec.ParseReply(bytes);
            }
            catch (PortMapFormatException)
            {
            }
        }
    }
}
