using System.Buffers.Binary;
using System.Net;

namespace Burrow.PortMapping.NatPmp;

/// <summary>NAT-PMP result codes (RFC 6886 §3.5).</summary>
public enum NatPmpResult : ushort
{
    Success = 0,
    UnsupportedVersion = 1,
    NotAuthorized = 2,
    NetworkFailure = 3,
    OutOfResources = 4,
    UnsupportedOpcode = 5,
}

/// <summary>Reply to an external-address request: the gateway's public IPv4 address.</summary>
public sealed record NatPmpAddressReply(NatPmpResult Result, uint Epoch, IPAddress Address);

/// <summary>Reply to a map request.</summary>
public sealed record NatPmpMapReply(NatPmpResult Result, uint Epoch, ushort InternalPort, ushort ExternalPort, uint Lifetime);

/// <summary>
/// NAT-PMP (RFC 6886) packets, pure. Version 0; opcode 0 asks the external address, <b>1 maps UDP and 2 maps
/// TCP</b>; a reply's opcode is the request's + 128. All integers are big-endian.
/// </summary>
public static class NatPmpCodec
{
    public const int ServerPort = 5351;
    public const byte Version = 0;
    public const byte OpExternalAddress = 0;
    public const byte OpMapUdp = 1;
    public const byte OpMapTcp = 2;
    public const byte ReplyBit = 128;

    public static byte MapOpcode(PortMapProtocol protocol) => protocol switch
    {
        PortMapProtocol.Udp => OpMapUdp,
        PortMapProtocol.Tcp => OpMapTcp,
        _ => throw new ArgumentOutOfRangeException(nameof(protocol)),
    };

    /// <summary>2 bytes: version 0, opcode 0.</summary>
    public static byte[] ExternalAddressRequest() => [Version, OpExternalAddress];

    /// <summary>12 bytes: version, opcode, reserved (2), internal port, suggested external port, lifetime (s). Lifetime 0 (and external port 0) deletes.</summary>
    public static byte[] MapRequest(PortMapProtocol protocol, ushort internalPort, ushort suggestedExternalPort, uint lifetimeSeconds)
    {
        var packet = new byte[12];
        packet[0] = Version;
        packet[1] = MapOpcode(protocol);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), suggestedExternalPort);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), lifetimeSeconds);
        return packet;
    }

    /// <summary>12 bytes on success; a refusal may be only the 8-byte header (result code and epoch).</summary>
    /// <exception cref="PortMapFormatException">The bytes are not such a reply.</exception>
    public static NatPmpAddressReply ParseAddressReply(ReadOnlySpan<byte> reply)
    {
        var (result, epoch) = ParseHeader(reply, OpExternalAddress);
        if (result != NatPmpResult.Success)
        {
            return new NatPmpAddressReply(result, epoch, IPAddress.Any);
        }
        Require(reply, 12);
        return new NatPmpAddressReply(result, epoch, new IPAddress(reply.Slice(8, 4)));
    }

    /// <summary>16 bytes on success; a refusal may be only the 8-byte header.</summary>
    /// <exception cref="PortMapFormatException">The bytes are not a reply to a map request for <paramref name="protocol"/>.</exception>
    public static NatPmpMapReply ParseMapReply(ReadOnlySpan<byte> reply, PortMapProtocol protocol)
    {
        var (result, epoch) = ParseHeader(reply, MapOpcode(protocol));
        if (result != NatPmpResult.Success)
        {
            return new NatPmpMapReply(result, epoch, 0, 0, 0);
        }
        Require(reply, 16);
        return new NatPmpMapReply(result, epoch,
            BinaryPrimitives.ReadUInt16BigEndian(reply[8..]),
            BinaryPrimitives.ReadUInt16BigEndian(reply[10..]),
            BinaryPrimitives.ReadUInt32BigEndian(reply[12..]));
    }

    /// <summary>
    /// RFC 6886 §3.6: the gateway lost its mappings (rebooted) when its epoch moved less than 7/8 of our own
    /// elapsed time (with 2 s of slack), or backwards.
    /// </summary>
    public static bool EpochIndicatesReset(uint previousEpoch, uint currentEpoch, TimeSpan elapsed)
    {
        if (currentEpoch < previousEpoch)
        {
            return true;
        }
        var expected = previousEpoch + elapsed.TotalSeconds * 7 / 8;
        return currentEpoch + 2 < expected;
    }

    private static (NatPmpResult Result, uint Epoch) ParseHeader(ReadOnlySpan<byte> reply, byte requestOpcode)
    {
        Require(reply, 8);
        if (reply[0] != Version)
        {
            throw new PortMapFormatException(PortMapFormatError.BadVersion, $"NAT-PMP reply of version {reply[0]}, expected 0.");
        }
        if (reply[1] != ReplyBit + requestOpcode)
        {
            throw new PortMapFormatException(PortMapFormatError.Mismatch, $"NAT-PMP reply opcode {reply[1]}, expected {ReplyBit + requestOpcode}.");
        }
        var code = BinaryPrimitives.ReadUInt16BigEndian(reply[2..]);
        if (code > (ushort)NatPmpResult.UnsupportedOpcode)
        {
            throw new PortMapFormatException(PortMapFormatError.BadField, $"NAT-PMP result code {code} is not defined.");
        }
        return ((NatPmpResult)code, BinaryPrimitives.ReadUInt32BigEndian(reply[4..]));
    }

    private static void Require(ReadOnlySpan<byte> reply, int length)
    {
        if (reply.Length < length)
        {
            throw new PortMapFormatException(PortMapFormatError.Truncated, $"NAT-PMP reply of {reply.Length} bytes, expected at least {length}.");
        }
    }
}
