using System.Diagnostics;
using System.Text.Json;

namespace Burrow.Lab.Tests;

/// <summary>A JSON-lines event ({"event": NAME, ...}) read from a process's stderr.</summary>
public sealed record LabEvent(string Name, JsonElement Json)
{
    public string? Get(string property) =>
        Json.TryGetProperty(property, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText() : null;

    public double GetDouble(string property) => Json.GetProperty(property).GetDouble();

    public override string ToString() => Json.GetRawText();

    /// <summary>Parses one line; null unless it is a JSON object with a string "event" field.</summary>
    public static LabEvent? TryParse(string line)
    {
        if (!line.StartsWith('{'))
            return null;
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.TryGetProperty("event", out var name) && name.ValueKind == JsonValueKind.String
                ? new LabEvent(name.GetString()!, doc.RootElement.Clone())
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// A process started by the lab (usually <c>ip netns exec NS ...</c>). Collects stdout and
/// stderr lines, parses the JSON-lines events on stderr, and lets a test await an event or
/// the exit. Disposing kills it (and its children) if it is still running.
/// </summary>
public sealed class LabProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly List<LabEvent> _events = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _readers;

    public LabProcess(string fileName, IEnumerable<string> arguments, string? description = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            info.Environment[name] = value;
        Description = description ?? $"{fileName} {string.Join(' ', info.ArgumentList)}";
        _process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {Description}");
        Id = _process.Id;
        _readers = Task.WhenAll(ReadAsync(_process.StandardOutput, _stdout, parseEvents: false),
                                ReadAsync(_process.StandardError, _stderr, parseEvents: true));
    }

    public int Id { get; }

    public string Description { get; }

    public bool HasExited => _process.HasExited;

    public IReadOnlyList<string> StdoutLines { get { lock (_gate) return [.. _stdout]; } }

    public IReadOnlyList<string> StderrLines { get { lock (_gate) return [.. _stderr]; } }

    public IReadOnlyList<LabEvent> Events { get { lock (_gate) return [.. _events]; } }

    public IEnumerable<LabEvent> EventsNamed(string name) => Events.Where(e => e.Name == name);

    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Closes stdin (lab tools that --hold until stdin closes then exit).</summary>
    public void CloseStdin() => _process.StandardInput.Close();

    /// <summary>Waits for the first event named <paramref name="name"/> (matching the predicate);
    /// fails with the process's output if it exits first or the timeout passes.</summary>
    public async Task<LabEvent> WaitForEventAsync(string name, TimeSpan timeout, Func<LabEvent, bool>? match = null, CancellationToken cancellationToken = default)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        var seen = 0;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                for (; seen < _events.Count; seen++)
                    if (_events[seen].Name == name && (match is null || match(_events[seen])))
                        return _events[seen];
                changed = _changed.Task;
            }
            if (_readers.IsCompleted)
                throw new InvalidOperationException($"{Description} ended without event '{name}'.\n{Transcript()}");
            try
            {
                await Task.WhenAny(changed, _readers).WaitAsync(timer.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"no event '{name}' from {Description} within {timeout}.\n{Transcript()}");
            }
        }
    }

    /// <summary>Waits for the exit and for all output to be read; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            await _process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Description} still running after {timeout}.\n{Transcript()}");
        }
        await _readers;
        return _process.ExitCode;
    }

    public string Transcript()
    {
        lock (_gate)
            return $"--- stdout\n{string.Join('\n', _stdout.TakeLast(40))}\n--- stderr\n{string.Join('\n', _stderr.TakeLast(40))}";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            await _readers.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        _process.Dispose();
    }

    private async Task ReadAsync(StreamReader reader, List<string> lines, bool parseEvents)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            var parsed = parseEvents ? LabEvent.TryParse(line) : null;
            TaskCompletionSource changed;
            lock (_gate)
            {
                lines.Add(line);
                if (parsed is not null)
                    _events.Add(parsed);
                changed = _changed;
                _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            changed.TrySetResult();
        }
    }
}
