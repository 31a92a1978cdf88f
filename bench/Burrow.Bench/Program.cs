using Burrow.Bench;

// Bytes per second through an authenticated Burrow stream vs a plain TCP socket, on loopback, in one run.
// Usage: dotnet run -c Release --project bench/Burrow.Bench -- [throughput] [--mib N] [--rounds N]
var mib = ArgValue(args, "--mib", 1024);
var rounds = ArgValue(args, "--rounds", 5);
return await ThroughputBenchmark.RunAsync(mib, rounds);

static int ArgValue(string[] args, string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var value) ? value : fallback;
}
