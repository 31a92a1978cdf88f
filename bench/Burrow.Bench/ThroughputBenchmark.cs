using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Burrow.Identity;
using Burrow.Node;

namespace Burrow.Bench;

/// <summary>
/// Sends the same number of bytes one way over loopback through (a) a plain TCP socket pair and (b) an
/// authenticated Burrow connection (TLS 1.3), alternating rounds so both see the same machine state, and
/// prints each median and the ratio Burrow / plain.
/// </summary>
internal static class ThroughputBenchmark
{
    private const int ChunkSize = 256 * 1024;

    public static async Task<int> RunAsync(int mib, int rounds)
    {
        var bytes = (long)mib * 1024 * 1024;
        Console.WriteLine($"throughput: {mib} MiB one way per round, {rounds} rounds each, loopback, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        using var aliceKey = NodeIdentity.Create();
        using var bobKey = NodeIdentity.Create();
        await using var alice = await BurrowNode.StartAsync(new BurrowNodeOptions { Identity = aliceKey, ListenEndpoints = [] }, default);
        await using var bob = await BurrowNode.StartAsync(new BurrowNodeOptions { Identity = bobKey, ListenEndpoints = [new IPEndPoint(IPAddress.Loopback, 0)] }, default);

        var plain = new List<double>();
        var burrow = new List<double>();
        // One warm-up of each (JIT, TLS session setup, socket buffers), not counted.
        await PlainRoundAsync(bytes / 8);
        await BurrowRoundAsync(alice, bob, bytes / 8);
        for (var round = 0; round < rounds; round++)
        {
            plain.Add(await PlainRoundAsync(bytes));
            burrow.Add(await BurrowRoundAsync(alice, bob, bytes));
            Console.WriteLine($"  round {round + 1}: plain {Format(plain[^1])}  burrow {Format(burrow[^1])}");
        }
        var plainMedian = Median(plain);
        var burrowMedian = Median(burrow);
        Console.WriteLine($"plain TCP      median {Format(plainMedian)}");
        Console.WriteLine($"Burrow (TLS)   median {Format(burrowMedian)}");
        Console.WriteLine($"ratio burrow/plain: {burrowMedian / plainMedian:F2}x (target >= 0.80x)");
        return 0;
    }

    private static async Task<double> PlainRoundAsync(long bytes)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(listener.LocalEndPoint!);
        using var server = await listener.AcceptAsync();
        await using var send = new NetworkStream(client, ownsSocket: false);
        await using var receive = new NetworkStream(server, ownsSocket: false);
        return await TransferAsync(send, receive, bytes, () => client.Shutdown(SocketShutdown.Send));
    }

    private static async Task<double> BurrowRoundAsync(BurrowNode alice, BurrowNode bob, long bytes)
    {
        var accepting = bob.AcceptAsync(default);
        await using var outbound = await alice.ConnectAsync(bob.Address, default);
        await using var inbound = await accepting;
        return await TransferAsync(outbound.Stream, inbound.Stream, bytes, () => outbound.CompleteWritesAsync().GetAwaiter().GetResult());
    }

    /// <summary>Bytes per second from the first write to the last byte read.</summary>
    private static async Task<double> TransferAsync(Stream send, Stream receive, long bytes, Action complete)
    {
        var payload = new byte[ChunkSize];
        Random.Shared.NextBytes(payload);
        var clock = Stopwatch.StartNew();
        var reader = Task.Run(async () =>
        {
            var buffer = new byte[ChunkSize];
            long total = 0;
            int n;
            while ((n = await receive.ReadAsync(buffer)) > 0)
            {
                total += n;
            }
            return total;
        });
        for (long sent = 0; sent < bytes; sent += ChunkSize)
        {
            await send.WriteAsync(payload.AsMemory(0, (int)Math.Min(ChunkSize, bytes - sent)));
        }
        complete();
        var received = await reader;
        var seconds = clock.Elapsed.TotalSeconds;
        return received == bytes ? bytes / seconds : throw new InvalidOperationException($"received {received} of {bytes} bytes");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Format(double bytesPerSecond) => $"{bytesPerSecond / (1024 * 1024):F0} MiB/s";
}
