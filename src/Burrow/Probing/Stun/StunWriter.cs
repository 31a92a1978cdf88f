using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Burrow.Codecs;

namespace Burrow.Probing.Stun;

/// <summary>Builds one STUN message: attributes (padded to 4 bytes), then the header and FINGERPRINT.</summary>
internal sealed class StunWriter(StunTransactionId id)
{
    private readonly ArrayBufferWriter<byte> _attributes = new(128);

    public void Attribute(ushort type, ReadOnlySpan<byte> value)
    {
        _attributes.WriteUInt16(type);
        _attributes.WriteUInt16((ushort)value.Length);
        _attributes.WriteBytes(value);
        var padding = (4 - (value.Length % 4)) % 4;
        _attributes.GetSpan(padding)[..padding].Clear();
        _attributes.Advance(padding);
    }

    public void Address(ushort type, IPEndPoint endpoint, StunTransactionId transaction, bool xored)
    {
        var address = endpoint.Address.IsIPv4MappedToIPv6 ? endpoint.Address.MapToIPv4() : endpoint.Address;
        var length = address.AddressFamily == AddressFamily.InterNetwork ? 4 : 16;
        Span<byte> value = stackalloc byte[4 + length];
        value[0] = 0;
        value[1] = (byte)(length == 4 ? 0x01 : 0x02);
        var port = (ushort)endpoint.Port;
        address.TryWriteBytes(value[4..], out _);
        if (xored)
        {
            port ^= (ushort)(StunAttribute.MagicCookie >> 16);
            StunCodec.XorAddress(value[4..], transaction);
        }
        BinaryPrimitives.WriteUInt16BigEndian(value[2..], port);
        Attribute(type, value);
    }

    public byte[] Finish(StunClass @class, ushort method, bool fingerprint)
    {
        var body = _attributes.WrittenSpan;
        var total = StunAttribute.HeaderLength + body.Length + (fingerprint ? 8 : 0);
        var message = new byte[total];
        BinaryPrimitives.WriteUInt16BigEndian(message, StunCodec.TypeOf(@class, method));
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), (ushort)(total - StunAttribute.HeaderLength));
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), StunAttribute.MagicCookie);
        id.CopyTo(message.AsSpan(8));
        body.CopyTo(message.AsSpan(StunAttribute.HeaderLength));
        if (fingerprint)
        {
            var at = total - 8;
            BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(at), StunAttribute.Fingerprint);
            BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(at + 2), 4);
            BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(at + 4), Crc32.Compute(message.AsSpan(0, at)) ^ StunAttribute.FingerprintXor);
        }
        return message;
    }
}
