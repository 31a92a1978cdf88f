namespace Burrow.Addressing;

/// <summary>Why a node address was refused. Every decoding failure is one of these, never another exception.</summary>
public enum AddressError
{
    None = 0,
    /// <summary>Empty, or longer than any address can be.</summary>
    BadLength,
    /// <summary>Does not start with the <c>burrow1</c> prefix.</summary>
    BadPrefix,
    /// <summary>A character outside the base58 alphabet (a typo, or text cut in the middle).</summary>
    BadCharacter,
    /// <summary>The checksum does not match: the text was mistyped or altered.</summary>
    BadChecksum,
    /// <summary>The record ends before a field it announced.</summary>
    Truncated,
    /// <summary>A major version this reader does not understand.</summary>
    UnsupportedVersion,
    /// <summary>A field is invalid, missing, repeated, or there are too many of them.</summary>
    Malformed,
    /// <summary>The embedded public key is not a valid P-256 point.</summary>
    BadPublicKey,
    /// <summary>The signature does not verify with the embedded key: the address was tampered with.</summary>
    BadSignature,
    /// <summary>Past its expiry time.</summary>
    Expired,
    /// <summary>Issued in the future (beyond the allowed clock skew).</summary>
    NotYetValid,
}
