using System.Security.Cryptography;
using Burrow.Codecs;

namespace Burrow.Identity;

/// <summary>
/// A node's identity: the SHA-256 of its public key's SubjectPublicKeyInfo. Shown as lowercase base32
/// (52 characters; <see cref="ToShortString"/> gives the first 12 for people and logs).
/// </summary>
public readonly struct NodeId : IEquatable<NodeId>, IComparable<NodeId>
{
    public const int Size = 32;
    private readonly byte[]? _bytes;

    private NodeId(byte[] bytes) => _bytes = bytes;

    public ReadOnlySpan<byte> Bytes => _bytes ?? new byte[Size];

    public static NodeId FromBytes(ReadOnlySpan<byte> bytes) =>
        bytes.Length == Size ? new NodeId(bytes.ToArray()) : throw new ArgumentException($"A node id is {Size} bytes.", nameof(bytes));

    public static NodeId FromSubjectPublicKeyInfo(ReadOnlySpan<byte> spki) => new(SHA256.HashData(spki));

    public static bool TryParse(string? text, out NodeId id)
    {
        id = default;
        if (text is null || text.Length != 52 || !Base32.TryDecode(text, out var bytes) || bytes.Length != Size)
        {
            return false;
        }
        id = new NodeId(bytes);
        return true;
    }

    public override string ToString() => Base32.Encode(Bytes);

    public string ToShortString() => ToString()[..12];

    public bool Equals(NodeId other) => Bytes.SequenceEqual(other.Bytes);

    public override bool Equals(object? obj) => obj is NodeId other && Equals(other);

    public override int GetHashCode() => BitConverter.ToInt32(Bytes[..4]);

    /// <summary>Byte-wise order: both ends of a connection compute the same order (used to pick TLS roles).</summary>
    public int CompareTo(NodeId other) => Bytes.SequenceCompareTo(other.Bytes);

    public static bool operator ==(NodeId left, NodeId right) => left.Equals(right);

    public static bool operator !=(NodeId left, NodeId right) => !left.Equals(right);

    public static bool operator <(NodeId left, NodeId right) => left.CompareTo(right) < 0;

    public static bool operator >(NodeId left, NodeId right) => left.CompareTo(right) > 0;

    public static bool operator <=(NodeId left, NodeId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(NodeId left, NodeId right) => left.CompareTo(right) >= 0;
}
