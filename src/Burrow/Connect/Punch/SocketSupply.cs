using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Burrow.Connect.Punch;

/// <summary>
/// The sockets of a spray (birthday or sequential window), made ahead on the thread pool so that the instant
/// does not wait for a thousand <c>socket()</c> and <c>bind()</c> calls: made up front, the easy side's 1,024
/// took about 50 ms on a busy lab machine and its first batch left that late, after the hard side's SYNs.
/// A batch whose sockets are not ready yet makes its own. Disposing closes what was made and not taken.
/// </summary>
internal sealed class SocketSupply : IDisposable
{
    private readonly ConcurrentQueue<Socket> _ready = new();
    private readonly Func<Socket> _create;
    private readonly int _count;
    private int _made;
    private volatile bool _disposed;

    public SocketSupply(int count, Func<Socket> create, bool inBackground = true)
    {
        (_count, _create) = (count, create);
        if (inBackground)
        {
            _ = Task.Run(Fill);
        }
        else
        {
            Fill();
        }
    }

    /// <summary>A ready socket, or a new one.</summary>
    public Socket Take()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_ready.TryDequeue(out var socket))
        {
            return socket;
        }
        Interlocked.Increment(ref _made);
        return _create();
    }

    private void Fill()
    {
        try
        {
            while (!_disposed && Interlocked.Increment(ref _made) <= _count)
            {
                _ready.Enqueue(_create());
                if (_disposed)
                {
                    Drain(); // disposed while this one was being made
                }
            }
        }
        catch (SocketException)
        {
            // out of descriptors or ports: the batches make their own, and fail there if they must
        }
    }

    public void Dispose()
    {
        _disposed = true;
        Drain();
    }

    private void Drain()
    {
        while (_ready.TryDequeue(out var socket))
        {
            socket.Dispose();
        }
    }
}
