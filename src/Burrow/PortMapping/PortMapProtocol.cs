namespace Burrow.PortMapping;

/// <summary>The transport protocol of a port mapping.</summary>
public enum PortMapProtocol
{
    Tcp,
    Udp,
}
