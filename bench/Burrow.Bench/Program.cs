using Burrow.Bench;

// Usage: dotnet run -c Release --project bench/Burrow.Bench -- [throughput|punch-skew|rendezvous-load] [--mib N] [--rounds N] [--punches N] [--no-load] [--alloc-mib-per-s N] [--no-gc-hold] [--live-mib N] [--nodes N] [--pairs N] [--seconds N] [--datagram] [--connects N] [--verbose]
//   throughput  bytes per second through an authenticated Burrow stream vs a plain TCP socket, on loopback, in one run
//   punch-skew  how late the punch scheduler issues connect() under a starved thread pool and GC pressure
//   rendezvous-load  registrations/s, server memory per node, coordinations/s (server in a child process; --datagram: nodes on UDP)
//   connect-overhead  time of a punch between two nodes on loopback (no network time: the nodes' own work), first and rest
var mode = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "throughput";
return mode switch
{
    "throughput" => await ThroughputBenchmark.RunAsync(ArgValue(args, "--mib", 1024), ArgValue(args, "--rounds", 5)),
    "punch-skew" => await PunchSkewBenchmark.RunAsync(ArgValue(args, "--punches", 2000), !args.Contains("--no-load"), ArgValue(args, "--alloc-mib-per-s", 256),
        !args.Contains("--no-gc-hold"), ArgValue(args, "--live-mib", 0)),
    "rendezvous-load" => await RendezvousLoadBenchmark.RunAsync(ArgValue(args, "--nodes", 2000), ArgValue(args, "--pairs", 200), ArgValue(args, "--seconds", 5), args.Contains("--datagram")),
    "rendezvous-server" => await RendezvousLoadBenchmark.ServeAsync(),
    "connect-overhead" => await ConnectOverheadBenchmark.RunAsync(ArgValue(args, "--connects", 50), args.Contains("--verbose")),
    _ => Usage(mode),
};

static int Usage(string mode)
{
    Console.Error.WriteLine($"unknown benchmark '{mode}': use throughput, punch-skew, rendezvous-load or connect-overhead");
    return 2;
}

static int ArgValue(string[] args, string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var value) ? value : fallback;
}
