using System.Net;
using System.Net.Sockets;

namespace Burrow.Tests;

/// <summary>
/// Free loopback ports for tests that bind them themselves. All are held at once while they are chosen, so
/// they differ from each other: two ports chosen one after the other can come out the same (the first is free
/// again when the second is chosen; 10 pairs in 200,000 on this machine), and a punch between two equal
/// ports connects a socket to itself.
/// </summary>
internal static class LoopbackPorts
{
    public static IPEndPoint[] Distinct(int count)
    {
        var probes = new List<Socket>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                probes.Add(probe);
                probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            }
            return [.. probes.Select(p => (IPEndPoint)p.LocalEndPoint!)];
        }
        finally
        {
            probes.ForEach(p => p.Dispose());
        }
    }

    public static (IPEndPoint A, IPEndPoint B) Pair() => Distinct(2) is [var a, var b] ? (a, b) : throw new InvalidOperationException();
}
