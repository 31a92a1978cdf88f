using System.Net;
using System.Net.Sockets;
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
        _loop = AcceptLoopAsync(onAccepted, logger);
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

    private async Task AcceptLoopAsync(Func<Socket, CancellationToken, Task> onAccepted, ILogger logger)
    {
        await Task.Yield();
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                continue; // the peer gave up before we accepted
            }
            catch (SocketException e)
            {
                // Out of descriptors or memory: say so, and give the system a moment before the next accept.
                NodeLog.AcceptLoopFailed(logger, LocalEndPoint.ToString(), e);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            accepted.NoDelay = true;
            _ = onAccepted(accepted, token);
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
