using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Burrow.Codecs;

namespace Burrow.Probing.Stun;

/// <summary>
/// Encodes and decodes STUN messages (RFC 8489 and the RFC 5780 attributes). Pure: decoding untrusted bytes
/// never throws — it yields a message or a <see cref="StunDecodeError"/>.
/// </summary>
public static class StunCodec
{
    /// <summary>
    /// The largest message Burrow reads: room for RFC 5780's PADDING test (a 1,500-byte attribute) and little
    /// more, so no peer makes it allocate much.
    /// </summary>
    public const int MaxMessageLength = 2048;

    public static byte[] Encode(StunMessage message, bool fingerprint = true)
    {
        var writer = new StunWriter(message.TransactionId);
        var id = message.TransactionId;
        if (message.XorMappedAddress is { } xor)
        {
            writer.Address(StunAttribute.XorMappedAddress, xor, id, xored: true);
        }
        if (message.MappedAddress is { } mapped)
        {
            writer.Address(StunAttribute.MappedAddress, mapped, id, xored: false);
        }
        if (message.ResponseOrigin is { } origin)
        {
            writer.Address(StunAttribute.ResponseOrigin, origin, id, xored: false);
        }
        if (message.OtherAddress is { } other)
        {
            writer.Address(StunAttribute.OtherAddress, other, id, xored: false);
        }
        if (message.ChangeRequest != StunChange.None)
        {
            writer.Attribute(StunAttribute.ChangeRequest, [0, 0, 0, (byte)message.ChangeRequest]);
        }
        if (message.ResponsePort is { } responsePort)
        {
            writer.Attribute(StunAttribute.ResponsePort, [(byte)(responsePort >> 8), (byte)responsePort, 0, 0]);
        }
        if (message.Error is { } error)
        {
            var reason = Encoding.UTF8.GetBytes(error.Reason);
            var value = new byte[4 + reason.Length];
            value[2] = (byte)(error.Code / 100);
            value[3] = (byte)(error.Code % 100);
            reason.CopyTo(value, 4);
            writer.Attribute(StunAttribute.ErrorCode, value);
        }
        if (message.Class == StunClass.ErrorResponse && message.UnknownRequired.Count > 0)
        {
            var value = new byte[message.UnknownRequired.Count * 2];
            for (var i = 0; i < message.UnknownRequired.Count; i++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(value.AsSpan(i * 2), message.UnknownRequired[i]);
            }
            writer.Attribute(StunAttribute.UnknownAttributes, value);
        }
        if (message.ConnectBack)
        {
            writer.Attribute(StunAttribute.BurrowConnectBack, []);
        }
        if (message.ConnectBackResult is { } outcome)
        {
            writer.Attribute(StunAttribute.BurrowConnectBackResult, [(byte)outcome, 0, 0, 0]);
        }
        if (message.Software is { } software)
        {
            writer.Attribute(StunAttribute.Software, Encoding.UTF8.GetBytes(software));
        }
        return writer.Finish(message.Class, message.Method, fingerprint);
    }

    /// <summary>The total length of the message whose header starts <paramref name="header"/> (TCP framing).</summary>
    public static bool TryGetFrameLength(ReadOnlySpan<byte> header, out int length, out StunDecodeError error)
    {
        length = 0;
        error = CheckHeader(header);
        if (error != StunDecodeError.None)
        {
            return false;
        }
        length = StunAttribute.HeaderLength + BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        return true;
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, out StunMessage message, out StunDecodeError error)
    {
        message = null!;
        if (!TryGetFrameLength(data, out var length, out error))
        {
            return false;
        }
        if (length != data.Length || length > MaxMessageLength)
        {
            error = StunDecodeError.BadLength;
            return false;
        }
        var type = BinaryPrimitives.ReadUInt16BigEndian(data);
        var id = StunTransactionId.From(data[8..20]);
        var decoded = new StunMessage(ClassOf(type), MethodOf(type), id);
        var reader = new WireReader(data[StunAttribute.HeaderLength..]);
        var unknown = new List<ushort>();
        var afterIntegrity = false;
        while (!reader.IsEmpty)
        {
            var start = data.Length - reader.Remaining;
            if (!reader.TryReadUInt16(out var attribute) || !reader.TryReadUInt16(out var valueLength)
                || !reader.TryReadBytes(valueLength, out var value) || !reader.TryReadBytes((4 - (valueLength % 4)) % 4, out _))
            {
                error = StunDecodeError.TruncatedAttribute;
                return false;
            }
            if (attribute == StunAttribute.Fingerprint)
            {
                if (!reader.IsEmpty || valueLength != 4
                    || BinaryPrimitives.ReadUInt32BigEndian(value) != (Crc32.Compute(data[..start]) ^ StunAttribute.FingerprintXor))
                {
                    error = StunDecodeError.BadFingerprint;
                    return false;
                }
                decoded = decoded with { HasFingerprint = true };
                continue;
            }
            if (afterIntegrity)
            {
                continue; // RFC 8489 §14.5: attributes after MESSAGE-INTEGRITY are ignored
            }
            if (!TryApply(ref decoded, attribute, value, id, unknown))
            {
                error = StunDecodeError.BadAttribute;
                return false;
            }
            afterIntegrity = attribute == StunAttribute.MessageIntegrity;
        }
        message = unknown.Count == 0 ? decoded : decoded with { UnknownRequired = unknown };
        return true;
    }

    /// <summary>Decodes, or throws <see cref="StunFormatException"/> naming why not.</summary>
    public static StunMessage Decode(ReadOnlySpan<byte> data) =>
        TryDecode(data, out var message, out var error) ? message : throw new StunFormatException(error);

    /// <summary>
    /// Checks a short-term-credential MESSAGE-INTEGRITY (HMAC-SHA1 keyed with the password, RFC 8489 §14.5):
    /// false when there is none or it does not match. The message must decode.
    /// </summary>
    public static bool VerifyIntegrity(ReadOnlySpan<byte> data, string password)
    {
        if (!TryDecode(data, out var message, out _) || !message.HasMessageIntegrity)
        {
            return false;
        }
        var offset = StunAttribute.HeaderLength;
        while (BinaryPrimitives.ReadUInt16BigEndian(data[offset..]) != StunAttribute.MessageIntegrity)
        {
            offset += 4 + ((BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]) + 3) & ~3);
        }
        var covered = data[..offset].ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(covered.AsSpan(2), (ushort)(offset + 24 - StunAttribute.HeaderLength));
        var expected = HMACSHA1.HashData(Encoding.UTF8.GetBytes(password), covered);
        return BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]) == 20
            && CryptographicOperations.FixedTimeEquals(expected, data.Slice(offset + 4, 20));
    }

    private static StunDecodeError CheckHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length < StunAttribute.HeaderLength)
        {
            return StunDecodeError.TooShort;
        }
        if ((header[0] & 0xC0) != 0 || BinaryPrimitives.ReadUInt32BigEndian(header[4..]) != StunAttribute.MagicCookie)
        {
            return StunDecodeError.NotStun;
        }
        return BinaryPrimitives.ReadUInt16BigEndian(header[2..]) % 4 == 0 ? StunDecodeError.None : StunDecodeError.BadLength;
    }

    private static bool TryApply(ref StunMessage message, ushort attribute, ReadOnlySpan<byte> value, StunTransactionId id, List<ushort> unknown)
    {
        switch (attribute)
        {
            case StunAttribute.XorMappedAddress:
                return TryAddress(value, id, xored: true, out var xor) && Set(ref message, message with { XorMappedAddress = xor });
            case StunAttribute.MappedAddress:
                return TryAddress(value, id, xored: false, out var mapped) && Set(ref message, message with { MappedAddress = mapped });
            case StunAttribute.ResponseOrigin:
                return TryAddress(value, id, xored: false, out var origin) && Set(ref message, message with { ResponseOrigin = origin });
            case StunAttribute.OtherAddress:
                return TryAddress(value, id, xored: false, out var other) && Set(ref message, message with { OtherAddress = other });
            case StunAttribute.ChangeRequest:
                return value.Length == 4 && Set(ref message, message with { ChangeRequest = (StunChange)(value[3] & 0x06) });
            case StunAttribute.ResponsePort:
                return value.Length == 4 && Set(ref message, message with { ResponsePort = BinaryPrimitives.ReadUInt16BigEndian(value) });
            case StunAttribute.ErrorCode:
                if (value.Length < 4 || value[2] is < 3 or > 6 || value[3] > 99)
                {
                    return false;
                }
                return Set(ref message, message with { Error = new StunError(value[2] * 100 + value[3], DecodeText(value[4..])) });
            case StunAttribute.Software:
                return Set(ref message, message with { Software = DecodeText(value) });
            case StunAttribute.MessageIntegrity:
                return value.Length == 20 && Set(ref message, message with { HasMessageIntegrity = true });
            case StunAttribute.BurrowConnectBack:
                return Set(ref message, message with { ConnectBack = true });
            case StunAttribute.BurrowConnectBackResult:
                return value.Length == 4 && value[0] is >= 1 and <= 4
                    && Set(ref message, message with { ConnectBackResult = (ConnectBackOutcome)value[0] });
            default:
                if (attribute < 0x8000 && !StunAttribute.IsKnownIgnored(attribute))
                {
                    unknown.Add(attribute);
                }
                return true;
        }
    }

    private static bool Set(ref StunMessage message, StunMessage updated)
    {
        message = updated;
        return true;
    }

    private static string DecodeText(ReadOnlySpan<byte> value) =>
        Encoding.UTF8.GetString(value.Length > 763 ? value[..763] : value);

    private static bool TryAddress(ReadOnlySpan<byte> value, StunTransactionId id, bool xored, out IPEndPoint endpoint)
    {
        endpoint = null!;
        var length = value.Length >= 2 ? value[1] switch { 0x01 => 4, 0x02 => 16, _ => -1 } : -1;
        if (length < 0 || value.Length != 4 + length)
        {
            return false;
        }
        Span<byte> address = stackalloc byte[length];
        value[4..].CopyTo(address);
        var port = BinaryPrimitives.ReadUInt16BigEndian(value[2..]);
        if (xored)
        {
            port ^= (ushort)(StunAttribute.MagicCookie >> 16);
            XorAddress(address, id);
        }
        endpoint = new IPEndPoint(new IPAddress(address), port);
        return true;
    }

    /// <summary>XORs an address with the magic cookie (and, for IPv6, the transaction id).</summary>
    internal static void XorAddress(Span<byte> address, StunTransactionId id)
    {
        Span<byte> mask = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(mask, StunAttribute.MagicCookie);
        id.CopyTo(mask[4..]);
        for (var i = 0; i < address.Length; i++)
        {
            address[i] ^= mask[i];
        }
    }

    internal static StunClass ClassOf(ushort type) => (StunClass)(((type >> 4) & 1) | ((type >> 7) & 2));

    internal static ushort MethodOf(ushort type) => (ushort)((type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80));

    internal static ushort TypeOf(StunClass @class, ushort method) =>
        (ushort)((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2)
                 | (((int)@class & 1) << 4) | (((int)@class & 2) << 7));
}
