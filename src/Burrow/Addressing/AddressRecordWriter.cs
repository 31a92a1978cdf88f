using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Burrow.Codecs;
using Burrow.Identity;
using L = Burrow.Addressing.AddressRecordLayout;

namespace Burrow.Addressing;

/// <summary>Encodes the unsigned part of an address record (pure; byte-exact, canonical).</summary>
internal static class AddressRecordWriter
{
    public static byte[] WriteUnsigned(NodePublicKey key, NodeAddressContent content)
    {
        Validate(content);
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.WriteByte(L.VersionByte);
        WriteField(buffer, L.PublicKey, key.Compressed.Span);
        WriteField(buffer, L.IssuedAt, VarUInt((ulong)content.IssuedAt.ToUnixTimeSeconds()));
        WriteField(buffer, L.Lifetime, VarUInt((ulong)content.Lifetime.TotalSeconds));
        foreach (var endpoint in content.Endpoints)
        {
            WriteField(buffer, L.Endpoint, EncodeEndpoint(endpoint));
        }
        foreach (var rendezvous in content.Rendezvous)
        {
            WriteField(buffer, L.Rendezvous, EncodeSignal(rendezvous));
        }
        foreach (var relay in content.Relays)
        {
            WriteField(buffer, L.Relay, EncodeSignal(relay));
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteField(ArrayBufferWriter<byte> buffer, byte type, ReadOnlySpan<byte> value)
    {
        buffer.WriteByte(type);
        buffer.WriteVarUInt((ulong)value.Length);
        buffer.WriteBytes(value);
    }

    private static byte[] EncodeEndpoint(AddressEndpoint endpoint)
    {
        var buffer = new ArrayBufferWriter<byte>(48);
        var flags = (byte)((endpoint.Family == AddressFamily.InterNetworkV6 ? L.FlagIPv6 : 0)
            | (endpoint.LanAddress is null ? 0 : L.FlagHasLan)
            | (endpoint.PublicAddress is null ? 0 : L.FlagHasPublic));
        buffer.WriteByte(flags);
        if (endpoint.LanAddress is not null)
        {
            buffer.WriteBytes(endpoint.LanAddress.GetAddressBytes());
        }
        if (endpoint.PublicAddress is not null)
        {
            buffer.WriteBytes(endpoint.PublicAddress.GetAddressBytes());
        }
        buffer.WriteUInt16((ushort)endpoint.ListenPort);
        buffer.WriteUInt16((ushort)endpoint.MappedPort);
        buffer.WriteByte((byte)endpoint.MappingMethod);
        buffer.WriteByte((byte)endpoint.Nat.Mapping);
        buffer.WriteVarUInt(WireWriter.ZigZag(endpoint.Nat.Delta));
        buffer.WriteByte((byte)endpoint.Nat.Filtering);
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] EncodeSignal(SignalEndpoint signal)
    {
        var buffer = new ArrayBufferWriter<byte>(32);
        if (IPAddress.TryParse(signal.Host, out var ip))
        {
            buffer.WriteByte(ip.AddressFamily == AddressFamily.InterNetworkV6 ? L.HostIPv6 : L.HostIPv4);
            buffer.WriteBytes(ip.GetAddressBytes());
        }
        else
        {
            buffer.WriteByte(L.HostName);
            buffer.WriteByte((byte)signal.Host.Length);
            buffer.WriteBytes(System.Text.Encoding.ASCII.GetBytes(signal.Host));
        }
        buffer.WriteUInt16((ushort)signal.Port);
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] VarUInt(ulong value)
    {
        var buffer = new ArrayBufferWriter<byte>(10);
        buffer.WriteVarUInt(value);
        return buffer.WrittenSpan.ToArray();
    }

    private static void Validate(NodeAddressContent content)
    {
        if (content.Endpoints.Count > NodeAddressContent.MaxEndpoints
            || content.Rendezvous.Count > NodeAddressContent.MaxSignalEndpoints
            || content.Relays.Count > NodeAddressContent.MaxSignalEndpoints)
        {
            throw new ArgumentException($"An address holds at most {NodeAddressContent.MaxEndpoints} endpoints and {NodeAddressContent.MaxSignalEndpoints} rendezvous and relays each.", nameof(content));
        }
        if (content.IssuedAt.ToUnixTimeSeconds() < 0 || content.Lifetime <= TimeSpan.Zero || content.Lifetime.TotalSeconds > L.MaxLifetimeSeconds)
        {
            throw new ArgumentException("An address is issued after 1970 and lives between one second and ten years.", nameof(content));
        }
        foreach (var e in content.Endpoints)
        {
            var family = e.Family;
            if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                || (e.LanAddress is not null && e.LanAddress.AddressFamily != family)
                || (e.PublicAddress is not null && e.PublicAddress.AddressFamily != family))
            {
                throw new ArgumentException("An endpoint has a LAN or public address (or both), of one family, IPv4 or IPv6.", nameof(content));
            }
            if ((uint)e.ListenPort > ushort.MaxValue || (uint)e.MappedPort > ushort.MaxValue || Math.Abs((long)e.Nat.Delta) > L.MaxNatDelta)
            {
                throw new ArgumentException("Ports are 0..65535 and a NAT delta is within ±65535.", nameof(content));
            }
        }
    }
}
