using Burrow.Identity;
using Burrow.Transport;

namespace Burrow.Tests;

/// <summary>A new node identity with its TLS credentials, disposed together.</summary>
internal sealed class NodeKeys : IDisposable
{
    public NodeIdentity Identity { get; } = NodeIdentity.Create();

    public TlsCredentials Tls { get; }

    public NodeKeys() => Tls = new TlsCredentials(Identity, TimeProvider.System);

    public NodeId NodeId => Identity.NodeId;

    public void Dispose()
    {
        Tls.Dispose();
        Identity.Dispose();
    }
}
