using System.Net;
using System.Net.Sockets;

namespace Burrow.Rendezvous;

/// <summary>Handles one datagram read from a socket (it must not throw; the span and address are reused after it returns).</summary>
internal delegate void DatagramHandler(ReadOnlySpan<byte> datagram, SocketAddress from);

/// <summary>
/// The one reader of a busy UDP socket, on a thread of its own (thin I/O driver): the thread sleeps in the
/// kernel until the socket is readable, then takes what is queued — up to a batch, each datagram there
/// already, so no read waits; in one system call where <see cref="DatagramBatch"/> can — and hands each to the
/// handler on the spot. A wake-up costs one thread switch, where an awaited receive costs two (the runtime's
/// socket-event thread, then a pool thread): under load those switches were most of a rendezvous server's
/// (docs/benchmarks.md). For a socket with a datagram now and then, an awaited receive is the better choice:
/// it holds no thread.
/// </summary>
internal static class DatagramReader
{
    /// <summary>Datagrams taken per wake-up at most, so that a flood cannot keep the thread from checking for its stop.</summary>
    public const int Batch = 64;

    /// <summary>
    /// Starts reading <paramref name="socket"/> on a new background thread named <paramref name="name"/>, into a
    /// buffer of <paramref name="bufferSize"/> bytes (a longer datagram comes truncated to it). To stop it, cancel
    /// <paramref name="stop"/>, <see cref="Wake"/> it, then dispose the socket; the task completes when the
    /// thread has ended.
    /// </summary>
    public static Task Start(Socket socket, string name, int bufferSize, DatagramHandler handle, CancellationToken stop) =>
        Start(socket, name, bufferSize, handle, DatagramBatch.IsSupported, stop);

    /// <summary>As above, choosing whether to read a batch per system call (<see cref="DatagramBatch"/>) or one datagram per call.</summary>
    internal static Task Start(Socket socket, string name, int bufferSize, DatagramHandler handle, bool batched, CancellationToken stop)
    {
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                var from = new SocketAddress(socket.AddressFamily);
                if (batched)
                {
                    var batch = new DatagramBatch(Batch, bufferSize);
                    Read(socket, () => TakeBatch(socket, batch, from, handle), stop);
                }
                else
                {
                    var buffer = new byte[bufferSize];
                    Read(socket, () => TakeEach(socket, buffer, from, handle), stop);
                }
            }
            finally
            {
                ended.TrySetResult();
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return ended.Task;
    }

    /// <summary>
    /// Wakes a reader whose stop was cancelled, with an empty datagram from the socket to itself (to loopback when
    /// it is bound to every interface). Disposing the socket wakes it too on Linux (the runtime shuts the socket
    /// down), but not on Windows or macOS, where a UDP socket's wait is not aborted by closing it. Best effort: a
    /// socket connected to another peer filters the datagram out, and then only disposing wakes the reader.
    /// </summary>
    public static void Wake(Socket socket)
    {
        try
        {
            if (socket.LocalEndPoint is IPEndPoint local)
            {
                var to = local.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
                    : local.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
                    : local.Address;
                socket.SendTo([], new IPEndPoint(to, local.Port));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Nothing to wake, or no way to: disposing the socket is left.
        }
    }

    /// <summary>Waits until the socket is readable, then lets <paramref name="take"/> take what is queued; again until stopped.</summary>
    private static void Read(Socket socket, Action take, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (socket.Poll(-1, SelectMode.SelectRead) && !stop.IsCancellationRequested)
                {
                    take();
                }
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // E.g. an ICMP error for an earlier send: nothing to do with the next datagram.
            }
        }
    }

    /// <summary>Up to a batch in one call.</summary>
    private static void TakeBatch(Socket socket, DatagramBatch batch, SocketAddress from, DatagramHandler handle)
    {
        var count = batch.Receive(socket);
        for (var i = 0; i < count; i++)
        {
            if (batch.TryReadSender(i, from))
            {
                handle(batch.Datagram(i), from);
            }
        }
    }

    /// <summary>Up to a batch, one call each. Readable means a datagram (perhaps empty) or an error, which the first read returns at once.</summary>
    private static void TakeEach(Socket socket, byte[] buffer, SocketAddress from, DatagramHandler handle)
    {
        var taken = 0;
        do
        {
            var length = socket.ReceiveFrom(buffer, SocketFlags.None, from);
            handle(buffer.AsSpan(0, length), from);
        }
        while (++taken < Batch && socket.Available > 0);
    }
}
