using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Burrow.Rendezvous;

/// <summary>
/// Sends a UDP socket's datagrams one at a time, from whichever thread queues them (thin I/O driver): the
/// first sender finds the socket free and sends at once, on its own thread, and so on for what others queued
/// meanwhile; a send the kernel cannot take at once is awaited, and the queue waits behind it. So the socket
/// never has two sends at once, and the common case costs no thread hop. A full queue drops the datagram,
/// as a full network would; retransmission covers it.
/// </summary>
internal sealed class DatagramWriter(Socket socket, int capacity) : IDisposable
{
    private readonly Channel<(byte[] Packet, SocketAddress? To)> _queue =
        Channel.CreateBounded<(byte[], SocketAddress?)>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait }); // TryWrite: false when full
    private readonly CancellationTokenSource _stop = new();
    private int _sending;

    /// <summary>Sends (or queues) a packet to <paramref name="to"/>, which must not change afterwards, or to the connected peer; false when dropped.</summary>
    public bool TrySend(byte[] packet, SocketAddress? to = null)
    {
        if (!_queue.Writer.TryWrite((packet, to)))
        {
            return false;
        }
        Pump();
        return true;
    }

    private void Pump()
    {
        while (Interlocked.CompareExchange(ref _sending, 1, 0) == 0)
        {
            var handedOver = false;
            try
            {
                while (_queue.Reader.TryRead(out var item))
                {
                    var sending = Start(item);
                    if (!sending.IsCompleted)
                    {
                        handedOver = true;
                        _ = FinishAsync(sending); // keeps the socket until the kernel takes it, then goes on
                        return;
                    }
                    Observe(sending);
                }
            }
            finally
            {
                if (!handedOver)
                {
                    Interlocked.Exchange(ref _sending, 0);
                }
            }
            if (!_queue.Reader.TryPeek(out _))
            {
                return; // nothing was queued between the last read and the release
            }
        }
    }

    private ValueTask<int> Start((byte[] Packet, SocketAddress? To) item)
    {
        try
        {
            return item.To is null
                ? socket.SendAsync(item.Packet, SocketFlags.None, _stop.Token)
                : socket.SendToAsync(item.Packet, SocketFlags.None, item.To, _stop.Token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ValueTask.FromResult(0); // lost like any datagram (the socket is closing, or failed)
        }
    }

    private static void Observe(ValueTask<int> sending)
    {
        try
        {
            sending.GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Lost like any datagram (or an ICMP error for an earlier one).
        }
    }

    private async Task FinishAsync(ValueTask<int> sending)
    {
        try
        {
            await sending.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // As above.
        }
        Interlocked.Exchange(ref _sending, 0);
        if (!_stop.IsCancellationRequested)
        {
            Pump();
        }
    }

    /// <summary>Stops sending (what is queued is dropped); the socket stays the caller's.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _stop.Cancel();
    }
}
