using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Burrow.Tests.Cli;

/// <summary>Runs the built <c>burrow</c> CLI as a process and reads its <c>--json</c> events from stderr.</summary>
internal sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<JsonObject> _events = Channel.CreateUnbounded<JsonObject>();
    private readonly List<string> _stderr = [];
    private readonly Task _stderrPump;

    private CliProcess(Process process)
    {
        _process = process;
        _stderrPump = PumpStderrAsync();
    }

    public static string CliPath => Path.Combine(AppContext.BaseDirectory, "Burrow.Cli.dll");

    public Stream StandardInput => _process.StandardInput.BaseStream;

    public Stream StandardOutput => _process.StandardOutput.BaseStream;

    /// <summary>Everything written to stderr so far (for failure messages).</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return string.Join('\n', _stderr);
            }
        }
    }

    public static CliProcess Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(CliPath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        return new CliProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start the CLI"));
    }

    /// <summary>The next JSON event, which must be named <paramref name="name"/>.</summary>
    public async Task<JsonObject> NextEventAsync(string name, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            var next = await _events.Reader.ReadAsync(deadline.Token);
            Assert.True(next["event"]?.GetValue<string>() == name, $"expected event '{name}', got {next.ToJsonString()}\nstderr:\n{Stderr}");
            return next;
        }
        catch (ChannelClosedException)
        {
            Assert.Fail($"the process ended without a '{name}' event; stderr:\n{Stderr}");
            throw;
        }
    }

    /// <summary>Waits for the exit and fails, with the process's stderr, unless it exited 0.</summary>
    public async Task AssertExitsCleanAsync(CancellationToken ct)
    {
        var code = await WaitForExitAsync(ct);
        Assert.True(code == 0, $"exit code {code}; stderr:\n{Stderr}");
    }

    public async Task<int> WaitForExitAsync(CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(deadline.Token);
        await _stderrPump;
        return _process.ExitCode;
    }

    private async Task PumpStderrAsync()
    {
        while (await _process.StandardError.ReadLineAsync() is { } line)
        {
            lock (_stderr)
            {
                _stderr.Add(line);
            }
            if (line.StartsWith('{') && JsonNode.Parse(line) is JsonObject json)
            {
                _events.Writer.TryWrite(json);
            }
        }
        _events.Writer.TryComplete();
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
