using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Burrow.Identity;

namespace Burrow.Transport;

/// <summary>A node's identity together with the TLS certificate made from it (one per node, reused by every stream).</summary>
public sealed class TlsCredentials : IDisposable
{
    private readonly X509Certificate2 _certificate;

    public TlsCredentials(NodeIdentity identity, TimeProvider time)
    {
        Identity = identity;
        _certificate = NodeCertificate.Create(identity, time.GetUtcNow());
        Context = SslStreamCertificateContext.Create(_certificate, additionalCertificates: null, offline: true);
    }

    public NodeIdentity Identity { get; }

    internal SslStreamCertificateContext Context { get; }

    public void Dispose() => _certificate.Dispose();
}
