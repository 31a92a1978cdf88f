using System.Net;
using System.Net.Sockets;

namespace Burrow.Addressing;

/// <summary>
/// One way to reach a node in one address family: where it listens on its LAN, what its public address is as
/// observed, the public port mapped to it (and how), and how the NAT in front of it behaves.
/// </summary>
public sealed record AddressEndpoint
{
    /// <summary>The address on the node's own interface (a private address behind a NAT).</summary>
    public IPAddress? LanAddress { get; init; }

    /// <summary>The public address as seen from outside (by a STUN server, a rendezvous, or a port mapping).</summary>
    public IPAddress? PublicAddress { get; init; }

    /// <summary>The TCP port the node listens on locally; 0 when it does not listen.</summary>
    public int ListenPort { get; init; }

    /// <summary>The public port forwarded to <see cref="ListenPort"/>; 0 when there is no mapping.</summary>
    public int MappedPort { get; init; }

    public MappingMethod MappingMethod { get; init; }

    public NatBehavior Nat { get; init; }

    public AddressFamily Family => (LanAddress ?? PublicAddress)?.AddressFamily ?? AddressFamily.Unspecified;

    /// <summary>The endpoint a peer on the node's LAN can dial, if any.</summary>
    public IPEndPoint? LanEndPoint => LanAddress is not null && ListenPort != 0 ? new IPEndPoint(LanAddress, ListenPort) : null;

    /// <summary>The public endpoint a peer anywhere can dial, if any: the mapped port, or the listen port when no NAT translates it.</summary>
    public IPEndPoint? PublicEndPoint =>
        PublicAddress is null ? null
        : MappedPort != 0 ? new IPEndPoint(PublicAddress, MappedPort)
        : ListenPort != 0 && (Nat.Mapping == NatMapping.Open || PublicAddress.Equals(LanAddress)) ? new IPEndPoint(PublicAddress, ListenPort)
        : null;
}

/// <summary>Where a node can be signaled (a rendezvous server) or relayed: an IP address or a DNS name, and a port.</summary>
public sealed record SignalEndpoint
{
    public const int MaxHostLength = 253;

    public SignalEndpoint(string host, int port)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        if (IPAddress.TryParse(host, out var ip))
        {
            Host = ip.ToString();
        }
        else if (IsValidHostName(host))
        {
            Host = host.ToLowerInvariant();
        }
        else
        {
            throw new ArgumentException($"'{host}' is neither an IP address nor a DNS name.", nameof(host));
        }
        Port = port;
    }

    /// <summary>A DNS name: 1..253 ASCII letters, digits, dots and hyphens, and not an IP address.</summary>
    public static bool IsValidHostName(string host) =>
        host.Length is > 0 and <= MaxHostLength
        && host.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-')
        && !IPAddress.TryParse(host, out _);

    /// <summary>Parses <c>host:port</c> or <c>[v6]:port</c>; false when it is neither.</summary>
    public static bool TryParse(string text, out SignalEndpoint? endpoint)
    {
        endpoint = null;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
        {
            return false;
        }
        var host = text[..colon].Trim('[', ']');
        if (!IPAddress.TryParse(host, out _) && !IsValidHostName(host))
        {
            return false;
        }
        endpoint = new SignalEndpoint(host, port);
        return true;
    }

    public string Host { get; }

    public int Port { get; }

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
