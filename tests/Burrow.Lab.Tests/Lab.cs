using System.Diagnostics;
using System.Security.Cryptography;

namespace Burrow.Lab.Tests;

/// <summary>
/// A built topology: lab/lab.sh up on creation, lab/lab.sh down on disposal (always — the
/// processes this object started are killed by pid first). Every run has a unique prefix, so
/// runs coexist; a run whose owner process died is collected by the next run's <c>lab.sh gc</c>.
/// </summary>
public sealed class Lab : IAsyncDisposable
{
    private static readonly SemaphoreSlim GcOnce = new(1, 1);
    private static bool _collected;
    private readonly List<LabProcess> _processes = [];
    private bool _disposed;

    private Lab(string prefix, IReadOnlyList<LabNode> nodes, TimeSpan buildTime)
    {
        Prefix = prefix;
        Nodes = nodes.ToDictionary(n => n.Name);
        BuildTime = buildTime;
    }

    public static string LabScript => Path.Combine(LabEnvironment.LabDirectory, "lab.sh");

    public static string ToolsDirectory => Path.Combine(LabEnvironment.LabDirectory, "tools");

    /// <summary>Where lab.sh keeps a run's state (pids, logs, rendered nft rulesets).</summary>
    public string RunDirectory => Path.Combine(LabEnvironment.LabDirectory, ".runs", Prefix);

    public string Prefix { get; }

    public IReadOnlyDictionary<string, LabNode> Nodes { get; }

    /// <summary>Wall-clock time of lab.sh up.</summary>
    public TimeSpan BuildTime { get; }

    public LabNode this[string name] => Nodes.TryGetValue(name, out var node) ? node : throw new KeyNotFoundException($"no node '{name}' in lab {Prefix}");

    public LabNode Server => this["srv"];

    public static string NewPrefix() => "bl" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    /// <summary>Builds <paramref name="spec"/>; on failure lab.sh has already torn down what it built.</summary>
    public static async Task<Lab> StartAsync(TopologySpec spec, CancellationToken cancellationToken = default)
    {
        await CollectStaleRunsAsync(cancellationToken);
        var prefix = NewPrefix();
        var stopwatch = Stopwatch.StartNew();
        await using var up = new LabProcess("bash", [LabScript, "up", prefix, "-"], $"lab.sh up {prefix}");
        await up.WriteLineAsync(spec.ToString());
        up.CloseStdin();
        var exit = await up.WaitForExitAsync(TimeSpan.FromMinutes(2), cancellationToken);
        stopwatch.Stop();
        if (exit != 0)
            throw new InvalidOperationException($"lab.sh up failed ({exit}) for:\n{spec}\n{up.Transcript()}");
        var nodes = up.StdoutLines.Select(LabEvent.TryParse).OfType<LabEvent>()
            .Where(e => e.Name == "node").Select(e => LabNode.FromEvent(e.Json)).ToList();
        return new Lab(prefix, nodes, stopwatch.Elapsed);
    }

    /// <summary>Starts <paramref name="command"/> inside <paramref name="node"/>'s namespace.</summary>
    public LabProcess Run(string node, params string[] command)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var process = new LabProcess("ip", ["netns", "exec", this[node].Namespace, .. command], $"[{node}] {string.Join(' ', command)}");
        lock (_processes)
            _processes.Add(process);
        return process;
    }

    /// <summary>Starts one of lab/tools/*.py inside <paramref name="node"/>'s namespace.</summary>
    public LabProcess RunTool(string node, string tool, params string[] arguments) =>
        Run(node, ["python3", "-u", Path.Combine(ToolsDirectory, tool), .. arguments]);

    /// <summary>Runs a command to completion in a namespace; returns exit code and output.</summary>
    public async Task<(int Exit, LabProcess Process)> ExecAsync(string node, TimeSpan timeout, params string[] command)
    {
        var process = Run(node, command);
        return (await process.WaitForExitAsync(timeout), process);
    }

    /// <summary>Pids of the daemons lab.sh started for this run (miniupnpd, turnserver, delayers).</summary>
    public IReadOnlyList<int> DaemonPids()
    {
        var dir = Path.Combine(RunDirectory, "pids");
        return Directory.Exists(dir)
            ? Directory.GetFiles(dir, "*.pid").Select(f => int.Parse(File.ReadAllText(f).Trim())).ToList()
            : [];
    }

    /// <summary>Pids of the processes this object started (alive or not).</summary>
    public IReadOnlyList<int> ProcessPids()
    {
        lock (_processes)
            return _processes.Select(p => p.Id).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        List<LabProcess> processes;
        lock (_processes)
            processes = [.. _processes];
        foreach (var process in processes)
            await process.DisposeAsync();
        await using var down = new LabProcess("bash", [LabScript, "down", Prefix], $"lab.sh down {Prefix}");
        if (await down.WaitForExitAsync(TimeSpan.FromMinutes(1)) != 0)
            throw new InvalidOperationException($"lab.sh down {Prefix} failed\n{down.Transcript()}");
    }

    private static async Task CollectStaleRunsAsync(CancellationToken cancellationToken)
    {
        await GcOnce.WaitAsync(cancellationToken);
        try
        {
            if (_collected)
                return;
            await using var gc = new LabProcess("bash", [LabScript, "gc"]);
            await gc.WaitForExitAsync(TimeSpan.FromMinutes(1), cancellationToken);
            _collected = true;
        }
        finally
        {
            GcOnce.Release();
        }
    }
}
