using System.Net;
using System.Net.Sockets;
using Burrow.Transport;
using Microsoft.Extensions.Logging;

namespace Burrow.Node;

/// <summary>Owns one listening socket and hands each accepted socket to a callback (thin I/O driver).</summary>
internal sealed class NodeListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private NodeListener(Socket socket, Func<Socket, CancellationToken, Task> onAccepted, ILogger logger)
    {
        _socket = socket;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        DualMode = socket.AddressFamily == AddressFamily.InterNetworkV6 && socket.DualMode;
        var token = _stop.Token;
        _loop = AcceptLoop.RunAsync(_socket.AcceptAsync, accepted => _ = onAccepted(accepted, token), LocalEndPoint.ToString(), logger,
            TimeProvider.System, token);
    }

    public IPEndPoint LocalEndPoint { get; }

    public bool DualMode { get; }

    public static NodeListener Start(IPEndPoint bind, int backlog, Func<Socket, CancellationToken, Task> onAccepted, ILogger logger)
    {
        var socket = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (bind.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }
            socket.Bind(bind);
            socket.Listen(backlog);
            return new NodeListener(socket, onAccepted, logger);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
