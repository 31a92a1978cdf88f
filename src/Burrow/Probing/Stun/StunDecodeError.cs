namespace Burrow.Probing.Stun;

/// <summary>Why bytes are not an acceptable STUN message.</summary>
public enum StunDecodeError
{
    None = 0,
    /// <summary>Shorter than the 20-byte header.</summary>
    TooShort,
    /// <summary>The first two bits are not zero or the magic cookie is missing: not STUN (RFC 8489).</summary>
    NotStun,
    /// <summary>The length field is not a multiple of 4 or does not match the data.</summary>
    BadLength,
    /// <summary>An attribute runs past the end of the message.</summary>
    TruncatedAttribute,
    /// <summary>A known attribute has an invalid value (bad family, length, error class…).</summary>
    BadAttribute,
    /// <summary>FINGERPRINT is not last, or its CRC does not match.</summary>
    BadFingerprint,
}
