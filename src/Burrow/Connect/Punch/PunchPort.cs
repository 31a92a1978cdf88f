using System.Net;
using System.Net.Sockets;

namespace Burrow.Connect.Punch;

/// <summary>
/// The local port a punch runs from, held while it is planned (the punch's own sockets share it by address and
/// port reuse): on IPv4 and, when asked for and free, the same number on IPv6 (an IPv6-only socket beside the
/// IPv4 one), so that one port can be offered in both families.
/// </summary>
internal sealed class PunchPort : IDisposable
{
    private const int Attempts = 4;
    private readonly Socket _v4;
    private readonly Socket? _v6;

    private PunchPort(Socket v4, Socket? v6)
    {
        (_v4, _v6) = (v4, v6);
        Number = ((IPEndPoint)v4.LocalEndPoint!).Port;
    }

    public int Number { get; }

    /// <summary>Whether the port is held on IPv6 too.</summary>
    public bool IPv6 => _v6 is not null;

    /// <summary>
    /// Holds a fresh port on IPv4 and, with <paramref name="ipv6"/>, the same one on IPv6; when that number is
    /// taken on IPv6 a few other ports are tried, then the port is held on IPv4 only.
    /// </summary>
    public static PunchPort Reserve(bool ipv6)
    {
        for (var attempt = 1; ; attempt++)
        {
            var v4 = PunchDialer.Bind(new IPEndPoint(IPAddress.Any, 0));
            if (!ipv6 || !Socket.OSSupportsIPv6)
            {
                return new PunchPort(v4, null);
            }
            try
            {
                return new PunchPort(v4, PunchDialer.Bind(new IPEndPoint(IPAddress.IPv6Any, ((IPEndPoint)v4.LocalEndPoint!).Port)));
            }
            catch (SocketException) when (attempt < Attempts)
            {
                v4.Dispose();
            }
            catch (SocketException)
            {
                return new PunchPort(v4, null);
            }
        }
    }

    public void Dispose()
    {
        _v4.Dispose();
        _v6?.Dispose();
    }
}
