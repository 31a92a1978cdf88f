using System.Text.Json.Nodes;
using Spectre.Console;

namespace Burrow.Cli.Output;

/// <summary>
/// Where a command says what happens. With <c>--json</c>: one JSON object per line on stderr, each with an
/// <c>"event"</c> field (the contract in README). Without: sentences for a person, on stderr too — stdout
/// stays the data channel.
/// </summary>
internal sealed class Reporter(bool json, TextWriter error)
{
    private readonly Lock _lock = new();

    public bool Json { get; } = json;

    /// <summary>Spectre console over stderr, for people.</summary>
    public IAnsiConsole Human { get; } = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(error) });

    public void Event(string name, JsonObject fields)
    {
        if (!Json)
        {
            return;
        }
        var line = new JsonObject { ["event"] = name };
        foreach (var (key, value) in fields.ToList())
        {
            fields.Remove(key);
            line[key] = value;
        }
        lock (_lock)
        {
            error.WriteLine(line.ToJsonString());
            error.Flush();
        }
    }

    public void Say(string markup)
    {
        if (!Json)
        {
            lock (_lock)
            {
                Human.MarkupLine(markup);
            }
        }
    }

    /// <summary>Reports a failure in both modes and returns the exit code to use.</summary>
    public int Fail(int exitCode, string code, string message, JsonObject? extra = null)
    {
        if (Json)
        {
            var fields = new JsonObject { ["code"] = code, ["message"] = message };
            foreach (var (key, value) in extra?.ToList() ?? [])
            {
                extra!.Remove(key);
                fields[key] = value;
            }
            Event("error", fields);
        }
        else
        {
            lock (_lock)
            {
                Human.MarkupLine($"[red]error[/] ({Markup.Escape(code)}): {Markup.Escape(message)}");
            }
        }
        return exitCode;
    }
}
