using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Burrow.PortMapping.Pcp;

/// <summary>PCP result codes (RFC 6887 §7.4).</summary>
public enum PcpResult : byte
{
    Success = 0,
    UnsupportedVersion = 1,
    NotAuthorized = 2,
    MalformedRequest = 3,
    UnsupportedOpcode = 4,
    UnsupportedOption = 5,
    MalformedOption = 6,
    NetworkFailure = 7,
    NoResources = 8,
    UnsupportedProtocol = 9,
    UserExceededQuota = 10,
    CannotProvideExternal = 11,
    AddressMismatch = 12,
    ExcessiveRemotePeers = 13,
}

/// <summary>The MAP-specific part of a reply.</summary>
public sealed record PcpMapData(byte[] Nonce, byte Protocol, ushort InternalPort, ushort ExternalPort, IPAddress ExternalAddress);

/// <summary>A PCP reply: the common header, and for MAP the opcode data.</summary>
public sealed record PcpReply(byte Opcode, PcpResult Result, uint Lifetime, uint Epoch, PcpMapData? Map);

/// <summary>
/// PCP (RFC 6887) packets, pure: the 24-byte common header and the 36-byte MAP opcode data. Addresses are
/// 16 bytes (IPv4 as ::ffff:a.b.c.d); integers big-endian; a reply's opcode byte has the R bit (128) set.
/// </summary>
public static class PcpCodec
{
    public const int ServerPort = 5351;
    public const byte Version = 2;
    public const byte OpAnnounce = 0;
    public const byte OpMap = 1;
    public const byte ReplyBit = 128;
    public const int HeaderLength = 24;
    public const int MapLength = 36;
    public const int NonceLength = 12;

    /// <summary>IANA protocol numbers, as PCP carries them.</summary>
    public static byte ProtocolNumber(PortMapProtocol protocol) => protocol switch
    {
        PortMapProtocol.Tcp => 6,
        PortMapProtocol.Udp => 17,
        _ => throw new ArgumentOutOfRangeException(nameof(protocol)),
    };

    /// <summary>24 bytes: an ANNOUNCE request (lifetime 0), which a PCP server answers with its epoch.</summary>
    public static byte[] AnnounceRequest(IPAddress client)
    {
        var packet = new byte[HeaderLength];
        WriteHeader(packet, OpAnnounce, 0, client);
        return packet;
    }

    /// <summary>60 bytes: a MAP request. Lifetime 0 deletes the mapping the nonce owns.</summary>
    public static byte[] MapRequest(IPAddress client, ReadOnlySpan<byte> nonce, PortMapProtocol protocol, ushort internalPort,
        ushort suggestedExternalPort, IPAddress? suggestedExternalAddress, uint lifetimeSeconds)
    {
        if (nonce.Length != NonceLength)
        {
            throw new ArgumentException($"A PCP nonce is {NonceLength} bytes.", nameof(nonce));
        }
        var packet = new byte[HeaderLength + MapLength];
        WriteHeader(packet, OpMap, lifetimeSeconds, client);
        var map = packet.AsSpan(HeaderLength);
        nonce.CopyTo(map);
        map[12] = ProtocolNumber(protocol);
        BinaryPrimitives.WriteUInt16BigEndian(map[16..], internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(map[18..], suggestedExternalPort);
        WriteAddress(map[20..], suggestedExternalAddress ?? IPAddress.Any);
        return packet;
    }

    /// <exception cref="PortMapFormatException">Not a PCP reply (or a MAP reply without its opcode data).</exception>
    public static PcpReply ParseReply(ReadOnlySpan<byte> reply)
    {
        if (reply.Length < 4)
        {
            throw Truncated(reply.Length, HeaderLength);
        }
        if (reply[0] != Version)
        {
            // A NAT-PMP-only server answers a PCP request with a version-0 "unsupported version" reply.
            throw new PortMapFormatException(PortMapFormatError.BadVersion, $"PCP reply of version {reply[0]}, expected 2.");
        }
        if ((reply[1] & ReplyBit) == 0)
        {
            throw new PortMapFormatException(PortMapFormatError.Mismatch, "A PCP request, not a reply (R bit clear).");
        }
        if (reply.Length < HeaderLength)
        {
            throw Truncated(reply.Length, HeaderLength);
        }
        var opcode = (byte)(reply[1] & 0x7F);
        var code = reply[3];
        if (code > (byte)PcpResult.ExcessiveRemotePeers)
        {
            throw new PortMapFormatException(PortMapFormatError.BadField, $"PCP result code {code} is not defined.");
        }
        var result = (PcpResult)code;
        var lifetime = BinaryPrimitives.ReadUInt32BigEndian(reply[4..]);
        var epoch = BinaryPrimitives.ReadUInt32BigEndian(reply[8..]);
        PcpMapData? map = null;
        if (opcode == OpMap)
        {
            if (reply.Length < HeaderLength + MapLength)
            {
                // Error replies must carry the opcode data too (RFC 6887 §7.2), but tolerate servers that do not.
                if (result == PcpResult.Success)
                {
                    throw Truncated(reply.Length, HeaderLength + MapLength);
                }
            }
            else
            {
                var data = reply.Slice(HeaderLength, MapLength);
                map = new PcpMapData(data[..NonceLength].ToArray(), data[12],
                    BinaryPrimitives.ReadUInt16BigEndian(data[16..]),
                    BinaryPrimitives.ReadUInt16BigEndian(data[18..]),
                    ReadAddress(data.Slice(20, 16)));
            }
        }
        return new PcpReply(opcode, result, lifetime, epoch, map);
    }

    /// <summary>An IPv4 address as ::ffff:a.b.c.d, an IPv6 address as itself.</summary>
    public static void WriteAddress(Span<byte> destination, IPAddress address)
    {
        var mapped = address.AddressFamily == AddressFamily.InterNetwork ? address.MapToIPv6() : address;
        if (!mapped.TryWriteBytes(destination[..16], out _))
        {
            throw new ArgumentException("Not an IP address of 16 bytes.", nameof(address));
        }
    }

    public static IPAddress ReadAddress(ReadOnlySpan<byte> source)
    {
        var address = new IPAddress(source[..16]);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }

    private static void WriteHeader(Span<byte> packet, byte opcode, uint lifetime, IPAddress client)
    {
        packet[0] = Version;
        packet[1] = opcode;
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], lifetime);
        WriteAddress(packet[8..], client);
    }

    private static PortMapFormatException Truncated(int length, int expected) =>
        new(PortMapFormatError.Truncated, $"PCP reply of {length} bytes, expected at least {expected}.");
}
