using System.Diagnostics;
using System.Net;
using Burrow.Addressing;
using Burrow.Identity;
using Burrow.Node;
using Burrow.Rendezvous.Server;
using Microsoft.Extensions.Logging;

namespace Burrow.Bench;

/// <summary>
/// What a connect costs besides the network: two nodes in this process, without listeners, registered at a
/// rendezvous on loopback, punch to each other N times (the network round trip is ~0, so the time to an
/// authenticated stream is the nodes' own work plus the punch margin). The first connect of a process is
/// printed apart from the rest: it pays for first calls (JIT, first use of a key), which a fresh CLI process
/// pays on every connect. With --verbose, the punch's own timing logs are printed.
/// </summary>
internal static class ConnectOverheadBenchmark
{
    public static async Task<int> RunAsync(int connects, bool verbose)
    {
        Console.WriteLine($"connect-overhead: {connects} punches between two nodes on loopback, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning).AddProvider(new LineLogger()));
        await using var server = await RendezvousServer.StartAsync(new RendezvousServerOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0) }, default);
        var rendezvous = new SignalEndpoint("127.0.0.1", server.LocalEndPoint.Port);
        using var aliceKey = NodeIdentity.Create();
        using var bobKey = NodeIdentity.Create();
        BurrowNodeOptions Options(NodeIdentity key) => new()
        {
            Identity = key, ListenEndpoints = [], Rendezvous = [rendezvous], LoggerFactory = loggers,
        };
        await using var alice = await BurrowNode.StartAsync(Options(aliceKey), default);
        await using var bob = await BurrowNode.StartAsync(Options(bobKey), default);
        await alice.Rendezvous[0].WaitRegisteredAsync(default);
        await bob.Rendezvous[0].WaitRegisteredAsync(default);
        await Task.Delay(500); // the nodes' warm-up and first clock exchanges are done, as for a CLI that waited for registration

        var times = new List<double>(connects);
        for (var i = 0; i < connects; i++)
        {
            var accepting = bob.AcceptAsync(default);
            var clock = Stopwatch.StartNew();
            await using var outbound = await alice.ConnectWithAsync(bob.Address, "punch", default);
            times.Add(outbound.Elapsed.TotalMilliseconds);
            await using var inbound = await accepting;
            if (verbose)
            {
                Console.WriteLine($"-- punch {i + 1}: {outbound.Elapsed.TotalMilliseconds:F1} ms");
            }
        }
        var rest = times.Skip(1).Order().ToList();
        Console.WriteLine($"first connect: {times[0]:F1} ms");
        if (rest.Count > 0)
        {
            Console.WriteLine($"the {rest.Count} after it: p50 {rest[rest.Count / 2]:F1} ms, p90 {rest[(int)(rest.Count * 0.9)]:F1} ms, max {rest[^1]:F1} ms");
        }
        return 0;
    }

    /// <summary>Debug lines of the punch and connect on stdout, one per message.</summary>
    private sealed class LineLogger : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = formatter(state, exception);
            if (line.Contains("Punch", StringComparison.Ordinal) || logLevel >= LogLevel.Warning)
            {
                Console.WriteLine("   " + line);
            }
        }

        public void Dispose()
        {
        }
    }
}
