using System.Security.Cryptography;

namespace Burrow.Identity;

/// <summary>A node's P-256 public key, kept in its 33-byte compressed form, with the node id it defines.</summary>
public sealed class NodePublicKey : IEquatable<NodePublicKey>
{
    private readonly byte[] _compressed;
    private readonly ECParameters _parameters;

    private NodePublicKey(byte[] compressed, ECParameters parameters, byte[] spki)
    {
        _compressed = compressed;
        _parameters = parameters;
        SubjectPublicKeyInfo = spki;
        NodeId = NodeId.FromSubjectPublicKeyInfo(spki);
    }

    public NodeId NodeId { get; }

    public ReadOnlyMemory<byte> Compressed => _compressed;

    public ReadOnlyMemory<byte> SubjectPublicKeyInfo { get; }

    /// <summary>Parses a compressed SEC 1 point; false if it is not a valid P-256 public key.</summary>
    public static bool TryFromCompressed(ReadOnlySpan<byte> compressed, out NodePublicKey? key)
    {
        key = null;
        if (!P256Point.TryDecompress(compressed, out var x, out var y))
        {
            return false;
        }
        var parameters = new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x, Y = y } };
        try
        {
            using var ecdsa = ECDsa.Create(parameters);
            key = new NodePublicKey(compressed.ToArray(), parameters, ecdsa.ExportSubjectPublicKeyInfo());
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>The public key of an ECDSA key (private or public); it must be on P-256.</summary>
    public static NodePublicKey FromECDsa(ECDsa key)
    {
        var parameters = key.ExportParameters(includePrivateParameters: false);
        if (parameters.Curve.Oid?.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            throw new ArgumentException("Burrow node keys are NIST P-256 keys.", nameof(key));
        }
        var compressed = P256Point.Compress(parameters.Q.X, parameters.Q.Y);
        var publicOnly = new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = parameters.Q };
        return new NodePublicKey(compressed, publicOnly, key.ExportSubjectPublicKeyInfo());
    }

    /// <summary>Verifies an IEEE P1363 (r‖s) ECDSA-SHA256 signature.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        using var ecdsa = ECDsa.Create(_parameters);
        return ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    public bool Equals(NodePublicKey? other) => other is not null && _compressed.AsSpan().SequenceEqual(other._compressed);

    public override bool Equals(object? obj) => Equals(obj as NodePublicKey);

    public override int GetHashCode() => NodeId.GetHashCode();

    public override string ToString() => Convert.ToHexStringLower(_compressed);
}
