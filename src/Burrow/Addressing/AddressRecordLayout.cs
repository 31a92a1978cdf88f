namespace Burrow.Addressing;

/// <summary>
/// The binary layout of a node address (see docs/architecture.md for the byte table):
/// <c>version(1) · field* · signature(64)</c>, each field <c>type(1) · length(LEB128, ≤ 2 bytes) · value</c>.
/// Readers skip field types they do not know, so newer writers can add fields; a new major version is refused.
/// </summary>
internal static class AddressRecordLayout
{
    public const int MajorVersion = 1;
    public const int MinorVersion = 0;
    public const byte VersionByte = (MajorVersion << 4) | MinorVersion;

    /// <summary>Far above any real address; bounds what a decoder will look at.</summary>
    public const int MaxRecordSize = 2048;

    public const int MaxFieldLengthBytes = 2;

    /// <summary>Domain separation: an address signature cannot be replayed as any other Burrow signature.</summary>
    public static ReadOnlySpan<byte> SignatureContext => "burrow/address/v1\0"u8;

    // Field types.
    public const byte PublicKey = 0x01;
    public const byte IssuedAt = 0x02;
    public const byte Lifetime = 0x03;
    public const byte Endpoint = 0x10;
    public const byte Rendezvous = 0x20;
    public const byte Relay = 0x21;

    // Endpoint flags.
    public const byte FlagIPv6 = 0x01;
    public const byte FlagHasLan = 0x02;
    public const byte FlagHasPublic = 0x04;

    // Signal endpoint host kinds.
    public const byte HostIPv4 = 1;
    public const byte HostIPv6 = 2;
    public const byte HostName = 3;

    /// <summary>Longest accepted lifetime: ten years.</summary>
    public const ulong MaxLifetimeSeconds = 10UL * 366 * 24 * 3600;

    /// <summary>Latest second a DateTimeOffset can hold.</summary>
    public const ulong MaxUnixSeconds = 253402300799;

    public const int MaxNatDelta = 65535;
}
