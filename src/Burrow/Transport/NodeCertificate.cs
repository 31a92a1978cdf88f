using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Burrow.Identity;

namespace Burrow.Transport;

/// <summary>
/// A self-signed X.509 certificate around the node key. Nothing about it is trusted but the key: peers
/// authenticate each other by the node id (the hash of that key), never by a chain or a name.
/// </summary>
internal static class NodeCertificate
{
    public static X509Certificate2 Create(NodeIdentity identity, DateTimeOffset now)
    {
        var request = new CertificateRequest($"CN=burrow-{identity.NodeId}", identity.Key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // server and client auth
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
    }

    /// <summary>The node id a certificate proves, if its key is a P-256 ECDSA key.</summary>
    public static NodeId? NodeIdOf(X509Certificate? certificate)
    {
        if (certificate is null)
        {
            return null;
        }
        using var owned = certificate as X509Certificate2 is null ? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()) : null;
        using var key = (owned ?? (X509Certificate2)certificate).GetECDsaPublicKey();
        if (key is null || key.KeySize != 256)
        {
            return null;
        }
        try
        {
            return NodePublicKey.FromECDsa(key).NodeId;
        }
        catch (ArgumentException)
        {
            return null; // another 256-bit curve
        }
    }
}
