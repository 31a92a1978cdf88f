namespace Burrow.Probing.Stun;

/// <summary>Attribute types (RFC 8489 §18.3, RFC 5780 §7, and Burrow's own in the 0xC000 range).</summary>
internal static class StunAttribute
{
    public const ushort MappedAddress = 0x0001;
    public const ushort ChangeRequest = 0x0003;
    public const ushort Username = 0x0006;
    public const ushort MessageIntegrity = 0x0008;
    public const ushort ErrorCode = 0x0009;
    public const ushort UnknownAttributes = 0x000A;
    public const ushort Realm = 0x0014;
    public const ushort Nonce = 0x0015;
    public const ushort MessageIntegritySha256 = 0x001C;
    public const ushort PasswordAlgorithm = 0x001D;
    public const ushort UserHash = 0x001E;
    public const ushort XorMappedAddress = 0x0020;
    public const ushort Padding = 0x0026;
    public const ushort ResponsePort = 0x0027;
    public const ushort Software = 0x8022;
    public const ushort AlternateServer = 0x8023;
    public const ushort Fingerprint = 0x8028;
    public const ushort ResponseOrigin = 0x802B;
    public const ushort OtherAddress = 0x802C;
    /// <summary>Burrow: connect back to my observed address over TCP (empty value).</summary>
    public const ushort BurrowConnectBack = 0xC0B0;
    /// <summary>Burrow: the connect-back outcome (1 byte + 3 reserved).</summary>
    public const ushort BurrowConnectBackResult = 0xC0B1;

    public const uint MagicCookie = 0x2112A442;
    public const uint FingerprintXor = 0x5354554E;
    public const int HeaderLength = 20;

    /// <summary>Known types that need no handling here (authentication we do not use, legacy, padding).</summary>
    public static bool IsKnownIgnored(ushort type) => type is Username or Realm or Nonce or MessageIntegritySha256
        or PasswordAlgorithm or UserHash or UnknownAttributes or Padding or AlternateServer;
}
