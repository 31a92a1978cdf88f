using System.Security.Cryptography;

namespace Burrow.Identity;

/// <summary>A node's private P-256 key. It signs the node's address and authenticates its TLS streams.</summary>
public sealed class NodeIdentity : IDisposable
{
    /// <summary>Size of an IEEE P1363 P-256 signature (r‖s).</summary>
    public const int SignatureSize = 64;

    private readonly ECDsa _key;

    private NodeIdentity(ECDsa key)
    {
        _key = key;
        PublicKey = NodePublicKey.FromECDsa(key);
    }

    public NodePublicKey PublicKey { get; }

    public NodeId NodeId => PublicKey.NodeId;

    /// <summary>The key itself, for building the node's TLS certificate.</summary>
    internal ECDsa Key => _key;

    /// <summary>A fresh random identity (kept in memory only).</summary>
    public static NodeIdentity Create() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Reads a PEM "PRIVATE KEY" (PKCS#8) or "EC PRIVATE KEY"; throws <see cref="IdentityException"/>.</summary>
    public static NodeIdentity FromPem(ReadOnlySpan<char> pem)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            return new NodeIdentity(key);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new IdentityException("identity_corrupt", $"The identity is not a valid P-256 private key: {e.Message}", e);
        }
    }

    public string ExportPem() => _key.ExportPkcs8PrivateKeyPem();

    public byte[] Sign(ReadOnlySpan<byte> data) =>
        _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public void Dispose() => _key.Dispose();
}
