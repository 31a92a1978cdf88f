using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Burrow.Rendezvous;

namespace Burrow.Tests.Rendezvous.Datagram;

/// <summary>The reader thread of a busy UDP socket, in both its ways of reading (a batch per call on Linux, one datagram per call).</summary>
public sealed class DatagramReaderTests
{
    public static TheoryData<bool> Ways() => DatagramBatch.IsSupported ? new TheoryData<bool>(true, false) : new TheoryData<bool>(false);

    [Theory(Timeout = 30_000)]
    [MemberData(nameof(Ways))]
    public async Task Every_datagram_reaches_the_handler_with_its_sender_in_order_and_a_long_one_truncated(bool batched)
    {
        var ct = TestContext.Current.CancellationToken;
        using var socket = Bound();
        using var first = Bound();
        using var second = Bound();
        var received = new ConcurrentQueue<(byte[] Data, IPEndPoint From)>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        const int PerSender = 100; // all queued before the reader starts (within the default receive buffer): it takes full batches
        var to = socket.LocalEndPoint!;
        for (var i = 0; i < PerSender; i++)
        {
            first.SendTo(BitConverter.GetBytes(i), to);
            second.SendTo(BitConverter.GetBytes(-i), to);
        }
        first.SendTo([], to); // empty
        second.SendTo(new byte[150], to); // longer than the buffer
        using var stop = new CancellationTokenSource();
        var reading = DatagramReader.Start(socket, "test reader", 100, (datagram, from) =>
        {
            received.Enqueue((datagram.ToArray(), (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(from)));
            if (received.Count == (2 * PerSender) + 2)
            {
                all.TrySetResult();
            }
        }, batched, stop.Token);
        await all.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);

        var fromFirst = received.Where(r => r.From.Equals(first.LocalEndPoint)).Select(r => r.Data).ToList();
        var fromSecond = received.Where(r => r.From.Equals(second.LocalEndPoint)).Select(r => r.Data).ToList();
        Assert.Equal(Enumerable.Range(0, PerSender).Select(i => BitConverter.GetBytes(i)).Append([]), fromFirst);
        Assert.Equal(Enumerable.Range(0, PerSender).Select(i => BitConverter.GetBytes(-i)).Append(new byte[100]), fromSecond);

        await StopAsync(socket, stop, reading, ct);
    }

    [Theory(Timeout = 30_000)]
    [MemberData(nameof(Ways))]
    public async Task A_socket_error_does_not_end_the_reader(bool batched)
    {
        var ct = TestContext.Current.CancellationToken;
        using var socket = Bound();
        EndPoint gone;
        using (var closed = Bound())
        {
            gone = closed.LocalEndPoint!;
        }
        socket.Connect(gone); // a connected socket hears of the port unreachable: the next read fails once
        using var stop = new CancellationTokenSource();
        var got = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = DatagramReader.Start(socket, "test reader", 100, (datagram, _) => got.TrySetResult(datagram.ToArray()), batched, stop.Token);
        socket.Send([1]);
        await Task.Delay(200, ct); // the port unreachable comes back: a pending error, which wakes the reader
        socket.Connect(IPAddress.Loopback, ((IPEndPoint)socket.LocalEndPoint!).Port); // now to itself
        try
        {
            socket.Send([2]);
        }
        catch (SocketException)
        {
            socket.Send([2]); // the error was still pending (the reader had not read it): this send took it
        }
        Assert.Equal([2], await got.Task.WaitAsync(TimeSpan.FromSeconds(10), ct));
        await StopAsync(socket, stop, reading, ct);
    }

    [Theory(Timeout = 30_000)]
    [MemberData(nameof(Ways))]
    public async Task Wake_ends_a_stopped_reader_without_the_socket_being_disposed(bool batched)
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (var bound in new[] { IPAddress.Loopback, IPAddress.Any })
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(bound, 0));
            using var stop = new CancellationTokenSource();
            var handled = 0;
            var reading = DatagramReader.Start(socket, "test reader", 100, (_, _) => Interlocked.Increment(ref handled), batched, stop.Token);
            await Task.Delay(100, ct); // the thread is waiting for the socket to be readable
            Assert.False(reading.IsCompleted);

            await stop.CancelAsync();
            DatagramReader.Wake(socket); // as on Windows or macOS, where disposing the socket would not wake it
            await reading.WaitAsync(TimeSpan.FromSeconds(5), ct);
            Assert.Equal(0, Volatile.Read(ref handled)); // the wake-up is not handed on as a datagram
        }
    }

    /// <summary>Stops the reader as its owners do (cancel, wake, then dispose the socket); it ends soon.</summary>
    private static async Task StopAsync(Socket socket, CancellationTokenSource stop, Task reading, CancellationToken ct)
    {
        await stop.CancelAsync();
        DatagramReader.Wake(socket);
        socket.Dispose();
        await reading.WaitAsync(TimeSpan.FromSeconds(5), ct);
    }

    private static Socket Bound()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }
}
