using System.Security.Cryptography;
using Burrow.Codecs;

namespace Burrow.Addressing;

/// <summary>
/// The text form of an address record: <c>burrow</c>, the major version digit, then base58 of the record
/// followed by the first four bytes of its SHA-256 (so a typo is caught before anything else is looked at).
/// </summary>
internal static class AddressText
{
    public const string Prefix = "burrow";
    public const int ChecksumSize = 4;

    /// <summary>Generous bound for the text (records are ≤ 2 KiB); keeps base58's quadratic decode cheap.</summary>
    public const int MaxLength = 3000;

    public static string Encode(ReadOnlySpan<byte> record)
    {
        var payload = new byte[record.Length + ChecksumSize];
        record.CopyTo(payload);
        SHA256.HashData(record)[..ChecksumSize].CopyTo(payload, record.Length);
        return Prefix + AddressRecordLayout.MajorVersion + Base58.Encode(payload);
    }

    public static AddressError TryDecode(string? text, out byte[] record)
    {
        record = [];
        var trimmed = (text ?? "").Trim();
        if (trimmed.Length == 0 || trimmed.Length > MaxLength)
        {
            return AddressError.BadLength;
        }
        if (!trimmed.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || trimmed.Length == Prefix.Length)
        {
            return AddressError.BadPrefix;
        }
        var major = trimmed[Prefix.Length];
        if (major != (char)('0' + AddressRecordLayout.MajorVersion))
        {
            return char.IsAsciiDigit(major) ? AddressError.UnsupportedVersion : AddressError.BadPrefix;
        }
        if (!Base58.TryDecode(trimmed.AsSpan(Prefix.Length + 1), out var payload))
        {
            return AddressError.BadCharacter;
        }
        if (payload.Length <= ChecksumSize)
        {
            return AddressError.Truncated;
        }
        var body = payload.AsSpan(0, payload.Length - ChecksumSize);
        if (!SHA256.HashData(body).AsSpan(0, ChecksumSize).SequenceEqual(payload.AsSpan(body.Length)))
        {
            return AddressError.BadChecksum;
        }
        record = body.ToArray();
        return AddressError.None;
    }
}
