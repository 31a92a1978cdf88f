using System.Diagnostics;
using System.Net;
using Burrow.Addressing;
using Burrow.Connect;
using Burrow.Identity;
using Burrow.Rendezvous;
using Burrow.Rendezvous.Protocol;
using Burrow.Rendezvous.Server;
using Burrow.Transport;

namespace Burrow.Bench;

/// <summary>
/// Load on a rendezvous server running in a child process (so its memory is its own): registers N nodes over
/// loopback (TLS + registration each), reports registrations per second, the server's resident and managed
/// memory per registered node, then coordinations per second — a signal to a peer and the peer's answer
/// back, through the server — with many pairs at once.
/// </summary>
internal static class RendezvousLoadBenchmark
{
    private const int Warmup = 50;

    public static async Task<int> RunAsync(int nodes, int pairs, int seconds, bool datagram)
    {
        var transport = datagram ? "datagram (UDP)" : "TLS (TCP)";
        Console.WriteLine($"rendezvous-load: {nodes} nodes by {transport}, {pairs} signaling pairs for {seconds} s, loopback, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        using var server = StartServerProcess();
        var port = int.Parse((await server.StandardOutput.ReadLineAsync())!.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        var clients = new List<IBenchNode>(nodes);
        await using var swarm = datagram ? new DatagramSwarm(endpoint, 8) : null;
        Func<int, Task<IBenchNode>> register = swarm is null ? async _ => await Client.RegisterAsync(endpoint) : async i => new SwarmBenchNode(await swarm.RegisterAsync(i));
        try
        {
            clients.AddRange(await RegisterAsync(register, 0, Warmup, 16));
            var (rssBefore, heapBefore) = await MeasureAsync(server);
            var clock = Stopwatch.StartNew();
            try
            {
                clients.AddRange(await RegisterAsync(register, Warmup, nodes - Warmup, datagram ? 64 : 32));
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                Console.WriteLine($"registration failed: {e.Message}; the server counts {await CountAsync(server)} registered");
                return 1;
            }
            var registerSeconds = clock.Elapsed.TotalSeconds;
            var (rssAfter, heapAfter) = await MeasureAsync(server);
            var added = nodes - Warmup;
            Console.WriteLine($"registered {added} more nodes in {registerSeconds:F1} s: {added / registerSeconds:F0} registrations/s (handshake included){(swarm is { Retries: > 0 } ? $", {swarm.Retries} begun again after a reset" : "")}; the server counts {await CountAsync(server)} registered");
            Console.WriteLine($"server memory per registered node: resident {(rssAfter - rssBefore) / (double)added / 1024:F1} KiB, managed heap {(heapAfter - heapBefore) / (double)added / 1024:F1} KiB");

            var count = 0L;
            var cpuBefore = await CpuAsync(server);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            clock.Restart();
            await Task.WhenAll(Enumerable.Range(0, Math.Min(pairs, clients.Count / 2))
                .Select(i => CoordinateAsync(clients[2 * i], clients[(2 * i) + 1], () => Interlocked.Increment(ref count), stop.Token)));
            var elapsed = clock.Elapsed;
            var serverCpu = await CpuAsync(server) - cpuBefore;
            Console.WriteLine($"coordinations (signal and answer through the server): {count / elapsed.TotalSeconds:F0}/s over {elapsed.TotalSeconds:F1} s");
            Console.WriteLine($"server CPU meanwhile: {serverCpu / elapsed:F2} of {Environment.ProcessorCount} cores, {serverCpu.TotalMicroseconds / Math.Max(1, count):F0} µs per coordination (the rest is the harness's and the kernel's for it)");
            return 0;
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
            server.StandardInput.Close();
            await server.WaitForExitAsync();
        }
    }

    /// <summary>The child process: a server on a free loopback port; "measure" on stdin prints memory, "cpu" its processor time; end of stdin stops it.</summary>
    public static async Task<int> ServeAsync()
    {
        var counts = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name is "burrow.rendezvous.datagrams.dropped" or "burrow.rendezvous.registrations")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                counts.AddOrUpdate($"{instrument.Name.Split('.')[^1]}:{tag.Value}", value, (_, old) => old + value);
            }
        });
        listener.Start();
        // Every simulated node comes from 127.0.0.1: the per-address share of pending joins is lifted, as if they
        // were hosts of their own (the rest of the server's defaults hold).
        await using var server = await RendezvousServer.StartAsync(new RendezvousServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            MaxPendingPerAddress = int.MaxValue,
        }, default);
        Console.WriteLine($"port {server.LocalEndPoint.Port}");
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line == "cpu")
            {
                Console.WriteLine(Process.GetCurrentProcess().TotalProcessorTime.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            else if (line == "measure")
            {
                var heap = GC.GetTotalMemory(forceFullCollection: true);
                Console.WriteLine($"{ResidentBytes()} {heap} {server.RegisteredCount}");
                Console.Error.WriteLine($"  server counters: {string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))}");
            }
        }
        return 0;
    }

    private static Process StartServerProcess()
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(typeof(RendezvousLoadBenchmark).Assembly.Location);
        }
        info.ArgumentList.Add("rendezvous-server");
        return Process.Start(info)!;
    }

    private static async Task<int> CountAsync(Process server)
    {
        await server.StandardInput.WriteLineAsync("measure");
        await server.StandardInput.FlushAsync();
        return int.Parse((await server.StandardOutput.ReadLineAsync())!.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<TimeSpan> CpuAsync(Process server)
    {
        await server.StandardInput.WriteLineAsync("cpu");
        await server.StandardInput.FlushAsync();
        return TimeSpan.FromTicks(long.Parse((await server.StandardOutput.ReadLineAsync())!, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<(long Resident, long Heap)> MeasureAsync(Process server)
    {
        await Task.Delay(500);
        await server.StandardInput.WriteLineAsync("measure");
        await server.StandardInput.FlushAsync();
        var parts = (await server.StandardOutput.ReadLineAsync())!.Split(' ');
        return (long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static long ResidentBytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    private static async Task<List<IBenchNode>> RegisterAsync(Func<int, Task<IBenchNode>> register, int first, int count, int concurrency)
    {
        var registered = new List<IBenchNode>(count);
        using var slots = new SemaphoreSlim(concurrency);
        var tasks = Enumerable.Range(first, count).Select(async i =>
        {
            await slots.WaitAsync();
            try
            {
                var client = await register(i);
                lock (registered)
                {
                    registered.Add(client);
                }
            }
            finally
            {
                slots.Release();
            }
        });
        await Task.WhenAll(tasks);
        return registered;
    }

    private static async Task CoordinateAsync(IBenchNode a, IBenchNode b, Action done, CancellationToken stop)
    {
        byte[] payload = [0x7F, 1, 2, 3];
        var answering = AnswerAsync(b, stop);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await a.SendAsync(new SignalTo(b.Id, payload));
                if (await a.ReceiveAsync(TimeSpan.FromSeconds(30), stop) is not SignalFrom)
                {
                    break;
                }
                done();
            }
        }
        catch (OperationCanceledException)
        {
            // time is up
        }
        await answering;
    }

    private static async Task AnswerAsync(IBenchNode b, CancellationToken stop)
    {
        try
        {
            while (await b.ReceiveAsync(TimeSpan.FromSeconds(30), stop) is SignalFrom signal)
            {
                await b.SendAsync(new SignalTo(signal.Source, signal.Payload));
            }
        }
        catch (OperationCanceledException)
        {
            // time is up
        }
    }

    /// <summary>A registered node as the benchmark drives it, whatever its transport.</summary>
    private interface IBenchNode : IAsyncDisposable
    {
        NodeId Id { get; }

        Task SendAsync(RendezvousMessage message);

        Task<RendezvousMessage?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken);
    }

    private sealed class SwarmBenchNode(DatagramSwarm.SwarmNode node) : IBenchNode
    {
        public NodeId Id => node.Id;

        public Task SendAsync(RendezvousMessage message) => node.SendAsync(message);

        public Task<RendezvousMessage?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken) => node.ReceiveAsync(timeout, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class Client : IBenchNode
    {
        private readonly NodeIdentity _key;
        private readonly TlsCredentials _tls;

        private Client(NodeIdentity key, TlsCredentials tls, RendezvousConnection connection)
        {
            _key = key;
            _tls = tls;
            Connection = connection;
        }

        public RendezvousConnection Connection { get; }

        public Task SendAsync(RendezvousMessage message) => Connection.TrySend(message) ? Task.CompletedTask : throw new InvalidOperationException("send queue full");

        public Task<RendezvousMessage?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken) => Connection.ReceiveAsync(timeout, cancellationToken);

        public NodeId Id => _key.NodeId;

        public static async Task<Client> RegisterAsync(IPEndPoint server)
        {
            var key = NodeIdentity.Create();
            var tls = new TlsCredentials(key, TimeProvider.System);
            var socket = await TcpDialer.ConnectAsync(server, default);
            var connection = await RendezvousConnection.EstablishAsync(socket, tls, TlsRole.Client, TimeSpan.FromSeconds(30), 16, default);
            var address = NodeAddress.Issue(key, new NodeAddressContent
            {
                Endpoints = [new AddressEndpoint { LanAddress = IPAddress.Loopback, ListenPort = 9 }],
                IssuedAt = DateTimeOffset.UtcNow,
            });
            connection.TrySend(new Register(address.Record));
            if (await connection.ReceiveAsync(TimeSpan.FromSeconds(30), default) is not Registered)
            {
                throw new InvalidOperationException("not registered");
            }
            return new Client(key, tls, connection);
        }

        public async ValueTask DisposeAsync()
        {
            await Connection.DisposeAsync();
            _tls.Dispose();
            _key.Dispose();
        }
    }
}
