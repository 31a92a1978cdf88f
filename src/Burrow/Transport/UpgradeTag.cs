using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Burrow.Transport;

/// <summary>
/// Names the relayed connection that a direct one is meant to replace. Both ends of a relayed connection know
/// its relay token, so both derive the same tag from it (a hash: the tag does not give the token away). The side
/// making the direct connection sends the tag as the TLS server name (<see cref="ServerName"/>), which the
/// accepting side reads once the handshake is done, whatever it expected; TLS still proves who connected, so a
/// tag only says which of that peer's relayed connections the new one is for.
/// </summary>
public readonly record struct UpgradeTag
{
    /// <summary>Bytes of the tag: 128 bits, as hex in one DNS label.</summary>
    public const int Size = 16;

    private const string Suffix = ".upgrade.burrow";
    private static readonly byte[] Label = "burrow relay upgrade v1"u8.ToArray();
    private readonly string _hex;

    private UpgradeTag(string hex) => _hex = hex;

    /// <summary>The tag of the relayed connection whose relay token is <paramref name="relayToken"/>.</summary>
    public static UpgradeTag FromRelayToken(ReadOnlySpan<byte> relayToken)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        HMACSHA256.HashData(Label, relayToken, hash);
        return new UpgradeTag(Convert.ToHexStringLower(hash[..Size]));
    }

    /// <summary>The TLS server name (SNI) that carries the tag: <c>&lt;32 hex digits&gt;.upgrade.burrow</c>.</summary>
    public string ServerName => _hex + Suffix;

    /// <summary>Reads a tag from a TLS server name; false for any other name (an ordinary connection).</summary>
    public static bool TryParse(string? serverName, [NotNullWhen(true)] out UpgradeTag? tag)
    {
        tag = null;
        if (serverName is null || serverName.Length != 2 * Size + Suffix.Length || !serverName.EndsWith(Suffix, StringComparison.Ordinal))
        {
            return false;
        }
        var hex = serverName[..(2 * Size)];
        if (!hex.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
        {
            return false;
        }
        tag = new UpgradeTag(hex);
        return true;
    }

    public override string ToString() => _hex ?? "(none)";
}
