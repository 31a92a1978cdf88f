using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Burrow.Connect.Punch;

namespace Burrow.Bench;

/// <summary>
/// How late the punch scheduler issues its <c>connect()</c> calls, under the conditions that hurt a shared
/// scheduler: a thread pool starved by blocking work items and threads allocating at a steady rate (small
/// short-lived objects, some survivors, some LOH arrays: a collection every few milliseconds). Each punch
/// arms prepared sockets against a loopback listener at an instant 5–40 ms ahead; the skew is the time from
/// the instant to the return of the first <c>connect()</c> (its SYN has left) and of the last. For contrast
/// the same schedule runs on the thread pool (<c>Task.Delay</c>, then connect) — what a naive implementation does.
/// </summary>
internal static class PunchSkewBenchmark
{
    private const int SocketsPerPunch = 4;

    public static async Task<int> RunAsync(int punches, bool load, int allocationMiBPerSecond, bool gcHold, int liveMiB)
    {
        // An application's long-lived data (--live-mib): a full collection has that much more to mark and compact.
        var live = Enumerable.Range(0, (int)(liveMiB * 1024L)).Select(_ => new byte[1000]).ToArray();
        Console.WriteLine($"punch skew: {punches} punches x {SocketsPerPunch} sockets, instants 5-40 ms ahead, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4096);
        var target = (IPEndPoint)listener.LocalEndPoint!;
        using var stop = new CancellationTokenSource();
        var acceptor = AcceptAllAsync(listener, stop.Token);

        using var stress = load ? Load.Start(allocationMiBPerSecond, stop.Token) : null;
        using var scheduler = new PunchScheduler(gcHold ? null : new PunchSchedulerOptions { GcHoldLead = TimeSpan.Zero });
        Func<long, Action, Task> onDedicatedThread = (instant, arm) => scheduler.ScheduleAt(instant, arm);
        // Warm-up, not counted: JIT, the socket engine, the first connects.
        await MeasureAsync(16, target, onDedicatedThread);
        await MeasureAsync(16, target, RunOnThreadPoolAsync);
        var gcBefore = Collections();
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var clock = Stopwatch.StartNew();
        var dedicated = await MeasureAsync(punches, target, onDedicatedThread);
        var gcDuring = Collections() - gcBefore;
        var allocationRate = (GC.GetTotalAllocatedBytes() - allocatedBefore) / clock.Elapsed.TotalSeconds / (1024 * 1024);
        var pool = await MeasureAsync(punches, target, RunOnThreadPoolAsync);
        await stop.CancelAsync();
        listener.Close();
        await acceptor;

        Console.WriteLine($"punch thread priority: {scheduler.Priority}; collections held off near an instant: {(gcHold ? "yes" : "no (--no-gc-hold)")}; "
            + $"live data {live.Length / 1024} MiB");
        GC.KeepAlive(live);
        Console.WriteLine(stress is null
            ? $"load: none (--no-load); {gcDuring} collections during the dedicated run"
            : $"load: {stress.BlockingWorkItems} blocking thread-pool work items, {stress.Allocators} allocating threads at {allocationRate:F0} MiB/s; {gcDuring} collections during the dedicated run");
        Print("dedicated thread (PunchScheduler)", dedicated);
        Print("thread pool (Task.Delay)         ", pool);
        var p99 = Percentile(dedicated.Select(k => k.FirstSyn).ToList(), 0.99);
        Console.WriteLine($"target: first-SYN p99 <= 1 ms on the dedicated thread: {(p99 <= 1.0 ? "met" : "NOT met")} ({p99:F3} ms)");
        return 0;
    }

    private static async Task<List<Skew>> MeasureAsync(int punches, IPEndPoint target, Func<long, Action, Task> schedule)
    {
        var skews = new List<Skew>(punches);
        var random = new Random(7);
        // A few punches in flight at once, as when several peers connect together.
        for (var batch = 0; batch < punches; batch += 8)
        {
            var jobs = new List<Task<Skew>>();
            for (var i = batch; i < Math.Min(punches, batch + 8); i++)
            {
                // Instants 5-40 ms ahead, at least 4 ms apart: one punch is one action; punches do not queue behind each other.
                var ahead = 5 + 4 * (i - batch) + random.NextDouble() * 3;
                var instant = Stopwatch.GetTimestamp() + (long)(Stopwatch.Frequency * ahead / 1000);
                jobs.Add(PunchAsync(instant, target, schedule));
            }
            skews.AddRange(await Task.WhenAll(jobs));
        }
        return skews;
    }

    /// <summary>Milliseconds from the instant to: the first <c>connect()</c> returning (its SYN sent), and the last.</summary>
    private readonly record struct Skew(double FirstSyn, double LastSyn);

    private static async Task<Skew> PunchAsync(long instant, IPEndPoint target, Func<long, Action, Task> schedule)
    {
        // Prepared ahead, as a punch prepares them: bound sockets and their connect arguments.
        var sockets = Enumerable.Range(0, SocketsPerPunch)
            .Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            .ToArray();
        var connects = sockets.Select(_ => new SocketAsyncEventArgs { RemoteEndPoint = target }).ToArray();
        long first = 0;
        long last = 0;
        try
        {
            await schedule(instant, () =>
            {
                for (var i = 0; i < sockets.Length; i++)
                {
                    sockets[i].ConnectAsync(connects[i]); // issues connect(): the SYN leaves before it returns
                    last = Stopwatch.GetTimestamp();
                    first = first == 0 ? last : first;
                }
            });
            return new Skew(Milliseconds(first - instant), Milliseconds(last - instant));
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
            foreach (var connect in connects)
            {
                connect.Dispose();
            }
        }
    }

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static async Task RunOnThreadPoolAsync(long instant, Action action)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), instant);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
        action();
    }

    private static async Task AcceptAllAsync(Socket listener, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                (await listener.AcceptAsync(cancellationToken)).Dispose();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private static int Collections() => GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);

    private static void Print(string label, List<Skew> skews)
    {
        var first = skews.Select(k => k.FirstSyn).ToList();
        var last = skews.Select(k => k.LastSyn).ToList();
        Console.WriteLine($"{label}  first SYN: p50 {Percentile(first, 0.50):F3} ms  p99 {Percentile(first, 0.99):F3} ms  max {first.Max():F3} ms");
        Console.WriteLine($"{new string(' ', label.Length)}  all {SocketsPerPunch} SYNs: p50 {Percentile(last, 0.50):F3} ms  p99 {Percentile(last, 0.99):F3} ms  max {last.Max():F3} ms  (n={skews.Count})");
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    /// <summary>Blocking work that keeps the thread pool saturated, and threads that churn the heap.</summary>
    private sealed class Load : IDisposable
    {
        private readonly List<Thread> _threads = [];

        public int BlockingWorkItems { get; private init; }

        public int Allocators { get; private init; }

        public static Load Start(int allocationMiBPerSecond, CancellationToken stop)
        {
            var load = new Load { BlockingWorkItems = Environment.ProcessorCount * 8, Allocators = Environment.ProcessorCount };
            var perThread = (long)allocationMiBPerSecond * 1024 * 1024 / 1000 / load.Allocators;
            for (var i = 0; i < load.BlockingWorkItems; i++)
            {
                ThreadPool.UnsafeQueueUserWorkItem(_ =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        Thread.Sleep(50); // holds a pool thread, as sync-over-async code does
                    }
                }, null);
            }
            for (var i = 0; i < load.Allocators; i++)
            {
                var thread = new Thread(() => Churn(perThread, stop)) { IsBackground = true, Name = "bench churn" };
                thread.Start();
                load._threads.Add(thread);
            }
            return load;
        }

        /// <summary>Allocates at a steady rate (bytes per millisecond): mostly short-lived small objects, a few
        /// survivors, now and then a large (LOH) array — enough for a gen-0 collection every few milliseconds.</summary>
        private static void Churn(long bytesPerMillisecond, CancellationToken stop)
        {
            var keep = new object[1024];
            var random = new Random();
            var clock = Stopwatch.StartNew();
            long allocated = 0;
            while (!stop.IsCancellationRequested)
            {
                var size = random.Next(10_000) == 0 ? 100_000 : random.Next(16, 512);
                keep[random.Next(keep.Length)] = new byte[size];
                allocated += size;
                if (allocated > clock.ElapsedMilliseconds * bytesPerMillisecond)
                {
                    Thread.Sleep(1);
                }
            }
        }

        public void Dispose()
        {
            foreach (var thread in _threads)
            {
                thread.Join();
            }
        }
    }
}
