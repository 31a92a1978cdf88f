using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using Burrow.Codecs;
using Burrow.Identity;

namespace Burrow.Rendezvous.Protocol;

/// <summary>
/// The rendezvous wire format (pure). A message is <c>version(1) · type(1) · body</c>; integers are big-endian,
/// times are signed 64-bit microseconds since the Unix epoch, node ids are their 32 bytes. Bodies:
/// <list type="bullet">
/// <item>Register: the signed address record (1 … 2048 bytes).</item>
/// <item>Registered: family(1: 4 or 6) · IP(4 or 16) · port(2) · server time(8).</item>
/// <item>RegisterRefused, SignalFailed: [target id(32) ·] reason(1).</item>
/// <item>TimeRequest: t0(8). TimeReply: t0(8) · t1(8) · t2(8).</item>
/// <item>SignalTo, SignalFrom: node id(32) · payload (1 … <see cref="MaxPayloadSize"/> bytes).</item>
/// <item>Ping, Pong: value(8).</item>
/// </list>
/// A whole message is at most <see cref="MaxMessageSize"/> bytes. Decoding never throws: anything else is a
/// <see cref="RendezvousCodecError"/>.
/// </summary>
public static class RendezvousCodec
{
    public const byte Version = 1;
    public const int MaxMessageSize = 4096;
    public const int HeaderSize = 2;
    public const int MaxAddressRecordSize = 2048;
    public const int MaxPayloadSize = MaxMessageSize - HeaderSize - NodeId.Size;

    private static readonly ulong MaxMicros = (ulong)((DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond);

    public static byte[] Encode(RendezvousMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var buffer = new ArrayBufferWriter<byte>(64);
        buffer.WriteByte(Version);
        buffer.WriteByte((byte)message.Type);
        switch (message)
        {
            case Register m:
                Check(m.AddressRecord.Length is > 0 and <= MaxAddressRecordSize, "an address record is 1 to 2048 bytes");
                buffer.WriteBytes(m.AddressRecord.Span);
                break;
            case Registered m:
                var ip = m.ObservedEndPoint.Address.IsIPv4MappedToIPv6 ? m.ObservedEndPoint.Address.MapToIPv4() : m.ObservedEndPoint.Address;
                var bytes = ip.GetAddressBytes();
                buffer.WriteByte(bytes.Length == 4 ? (byte)4 : (byte)6);
                buffer.WriteBytes(bytes);
                buffer.WriteUInt16((ushort)m.ObservedEndPoint.Port);
                WriteTime(buffer, m.ServerTime);
                break;
            case RegisterRefused m:
                buffer.WriteByte((byte)m.Reason);
                break;
            case TimeRequest m:
                WriteTime(buffer, m.ClientSent);
                break;
            case TimeReply m:
                WriteTime(buffer, m.ClientSent);
                WriteTime(buffer, m.ServerReceived);
                WriteTime(buffer, m.ServerSent);
                break;
            case SignalTo m:
                WriteSignal(buffer, m.Target, m.Payload.Span);
                break;
            case SignalFrom m:
                WriteSignal(buffer, m.Source, m.Payload.Span);
                break;
            case SignalFailed m:
                buffer.WriteBytes(m.Target.Bytes);
                buffer.WriteByte((byte)m.Reason);
                break;
            case Ping m:
                WriteUInt64(buffer, m.Value);
                break;
            case Pong m:
                WriteUInt64(buffer, m.Value);
                break;
            default:
                throw new ArgumentException($"Unknown message {message.GetType().Name}.", nameof(message));
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes one message. Never throws; <paramref name="error"/> says what is wrong.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, [NotNullWhen(true)] out RendezvousMessage? message, out RendezvousCodecError error)
    {
        message = null;
        error = Decode(data, out message);
        return error == RendezvousCodecError.None;
    }

    private static RendezvousCodecError Decode(ReadOnlySpan<byte> data, out RendezvousMessage? message)
    {
        message = null;
        if (data.Length > MaxMessageSize)
        {
            return RendezvousCodecError.TooLarge;
        }
        var reader = new WireReader(data);
        if (!reader.TryReadByte(out var version) || !reader.TryReadByte(out var type))
        {
            return RendezvousCodecError.Truncated;
        }
        if (version != Version)
        {
            return RendezvousCodecError.UnsupportedVersion;
        }
        var error = ReadBody(ref reader, (RendezvousMessageType)type, out message);
        if (error != RendezvousCodecError.None)
        {
            message = null;
            return error;
        }
        if (!reader.IsEmpty)
        {
            return RendezvousCodecError.Malformed; // one message, one encoding: nothing may follow
        }
        return RendezvousCodecError.None;
    }

    private static RendezvousCodecError ReadBody(ref WireReader reader, RendezvousMessageType type, out RendezvousMessage? message)
    {
        message = null;
        RendezvousCodecError error;
        switch (type)
        {
            case RendezvousMessageType.Register:
                error = ReadRest(ref reader, MaxAddressRecordSize, out var record);
                message = new Register(record);
                return error;
            case RendezvousMessageType.Registered:
                return ReadRegistered(ref reader, out message);
            case RendezvousMessageType.RegisterRefused:
                error = ReadEnum<RegisterRefusal>(ref reader, out var refusal);
                message = new RegisterRefused(refusal);
                return error;
            case RendezvousMessageType.TimeRequest:
                error = ReadTime(ref reader, out var t0);
                message = new TimeRequest(t0);
                return error;
            case RendezvousMessageType.TimeReply:
                var c = default(DateTimeOffset);
                var r = default(DateTimeOffset);
                var t2 = default(DateTimeOffset);
                error = ReadTime(ref reader, out c);
                error = error != RendezvousCodecError.None ? error : ReadTime(ref reader, out r);
                error = error != RendezvousCodecError.None ? error : ReadTime(ref reader, out t2);
                message = new TimeReply(c, r, t2);
                return error;
            case RendezvousMessageType.SignalTo:
                error = ReadSignal(ref reader, out var to, out var toPayload);
                message = new SignalTo(to, toPayload);
                return error;
            case RendezvousMessageType.SignalFrom:
                error = ReadSignal(ref reader, out var from, out var fromPayload);
                message = new SignalFrom(from, fromPayload);
                return error;
            case RendezvousMessageType.SignalFailed:
                if (!reader.TryReadBytes(NodeId.Size, out var target))
                {
                    return RendezvousCodecError.Truncated;
                }
                error = ReadEnum<SignalFailure>(ref reader, out var reason);
                message = new SignalFailed(NodeId.FromBytes(target), reason);
                return error;
            case RendezvousMessageType.Ping:
                message = TryReadUInt64(ref reader, out var ping) ? new Ping(ping) : null;
                return message is null ? RendezvousCodecError.Truncated : RendezvousCodecError.None;
            case RendezvousMessageType.Pong:
                message = TryReadUInt64(ref reader, out var pong) ? new Pong(pong) : null;
                return message is null ? RendezvousCodecError.Truncated : RendezvousCodecError.None;
            default:
                return RendezvousCodecError.UnknownType;
        }
    }

    private static RendezvousCodecError ReadRegistered(ref WireReader reader, out RendezvousMessage? message)
    {
        message = null;
        if (!reader.TryReadByte(out var family))
        {
            return RendezvousCodecError.Truncated;
        }
        if (family is not (4 or 6))
        {
            return RendezvousCodecError.Malformed;
        }
        if (!reader.TryReadBytes(family == 4 ? 4 : 16, out var ip) || !reader.TryReadUInt16(out var port))
        {
            return RendezvousCodecError.Truncated;
        }
        var timeError = ReadTime(ref reader, out var time);
        if (timeError != RendezvousCodecError.None)
        {
            return timeError;
        }
        var address = new IPAddress(ip);
        if (address.IsIPv4MappedToIPv6)
        {
            return RendezvousCodecError.Malformed; // written as IPv4: one endpoint, one encoding
        }
        message = new Registered(new IPEndPoint(address, port), time);
        return RendezvousCodecError.None;
    }

    private static RendezvousCodecError ReadSignal(ref WireReader reader, out NodeId node, out ReadOnlyMemory<byte> payload)
    {
        node = default;
        payload = default;
        if (!reader.TryReadBytes(NodeId.Size, out var id))
        {
            return RendezvousCodecError.Truncated;
        }
        node = NodeId.FromBytes(id);
        return ReadRest(ref reader, MaxPayloadSize, out payload);
    }

    private static RendezvousCodecError ReadRest(ref WireReader reader, int max, out ReadOnlyMemory<byte> rest)
    {
        rest = default;
        if (reader.IsEmpty)
        {
            return RendezvousCodecError.Truncated;
        }
        if (reader.Remaining > max)
        {
            return RendezvousCodecError.TooLarge;
        }
        reader.TryReadBytes(reader.Remaining, out var bytes);
        rest = bytes.ToArray();
        return RendezvousCodecError.None;
    }

    private static RendezvousCodecError ReadEnum<T>(ref WireReader reader, out T value)
        where T : struct, Enum
    {
        value = default;
        if (!reader.TryReadByte(out var b))
        {
            return RendezvousCodecError.Truncated;
        }
        value = (T)Enum.ToObject(typeof(T), b);
        return Enum.IsDefined(value) ? RendezvousCodecError.None : RendezvousCodecError.Malformed;
    }

    private static void WriteSignal(ArrayBufferWriter<byte> buffer, NodeId node, ReadOnlySpan<byte> payload)
    {
        Check(payload.Length is > 0 and <= MaxPayloadSize, $"a signal payload is 1 to {MaxPayloadSize} bytes");
        buffer.WriteBytes(node.Bytes);
        buffer.WriteBytes(payload);
    }

    private static void WriteTime(IBufferWriter<byte> buffer, DateTimeOffset time)
    {
        Check(time >= DateTimeOffset.UnixEpoch, "times are after 1970");
        WriteUInt64(buffer, (ulong)((time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond));
    }

    /// <summary>Microseconds since the epoch, from 1970 to 9999; anything else is <see cref="RendezvousCodecError.Malformed"/>.</summary>
    private static RendezvousCodecError ReadTime(ref WireReader reader, out DateTimeOffset time)
    {
        time = default;
        if (!TryReadUInt64(ref reader, out var micros))
        {
            return RendezvousCodecError.Truncated;
        }
        if (micros > MaxMicros)
        {
            return RendezvousCodecError.Malformed;
        }
        time = new DateTimeOffset(DateTimeOffset.UnixEpoch.UtcTicks + ((long)micros * TimeSpan.TicksPerMicrosecond), TimeSpan.Zero);
        return RendezvousCodecError.None;
    }

    private static void WriteUInt64(IBufferWriter<byte> buffer, ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
    }

    private static bool TryReadUInt64(ref WireReader reader, out ulong value)
    {
        value = 0;
        if (!reader.TryReadBytes(8, out var bytes))
        {
            return false;
        }
        value = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        return true;
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new ArgumentException($"Cannot encode: {what}.");
        }
    }
}

/// <summary>Why bytes are not a rendezvous message.</summary>
public enum RendezvousCodecError
{
    None,

    /// <summary>The data ends inside the header or a field.</summary>
    Truncated,

    /// <summary>Longer than <see cref="RendezvousCodec.MaxMessageSize"/>, or a field longer than its cap.</summary>
    TooLarge,

    /// <summary>A version this reader does not speak.</summary>
    UnsupportedVersion,

    /// <summary>A message type this reader does not know (a newer peer); the connection may ignore it.</summary>
    UnknownType,

    /// <summary>A field holds an invalid value, or bytes follow the message.</summary>
    Malformed,
}
