using System.Net;
using System.Net.Sockets;

namespace Burrow.Tests.Transport;

/// <summary>
/// Makes a real TCP simultaneous open on loopback: two sockets bound to fixed ports connect to each other at
/// the same moment, with no listener anywhere. A SYN that arrives before the other side's SYN is answered with
/// RST, so both retry (from the same ports) until their SYNs cross — a few rounds on a loaded machine.
/// </summary>
internal static class SimultaneousOpen
{
    public static async Task<(Socket A, Socket B)> ConnectPairAsync(CancellationToken cancellationToken)
    {
        var (a, b) = LoopbackPorts.Pair();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        for (var round = 0; ; round++)
        {
            deadline.Token.ThrowIfCancellationRequested();
            using var start = new Barrier(2);
            var ta = Task.Factory.StartNew(() => TryConnect(a, b, start), deadline.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            var tb = Task.Factory.StartNew(() => TryConnect(b, a, start), deadline.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            var (sa, sb) = (await ta, await tb);
            if (sa is not null && sb is not null)
            {
                return (sa, sb);
            }
            sa?.Dispose();
            sb?.Dispose();
            await Task.Delay(TimeSpan.FromMilliseconds(round % 10), deadline.Token);
        }
    }

    // Runs on its own thread so that both connect() calls start as close together as possible.
    private static Socket? TryConnect(IPEndPoint local, IPEndPoint remote, Barrier start)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(local);
            start.SignalAndWait();
            socket.Connect(remote);
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }
}
