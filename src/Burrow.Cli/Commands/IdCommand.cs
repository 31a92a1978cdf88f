using System.CommandLine;
using System.Text.Json.Nodes;
using Burrow.Cli.Output;
using Spectre.Console;

namespace Burrow.Cli.Commands;

/// <summary><c>burrow id</c>: shows the node identity, creating it on first use.</summary>
internal static class IdCommand
{
    public static Command Create()
    {
        var command = new Command("id", "Show this node's identity (created on first use).");
        command.SetAction(async (parse, ct) =>
        {
            var reporter = new Reporter(parse.GetValue(CommonOptions.Json), Console.Error);
            var (identity, created, path) = await NodeFactory.LoadIdentityAsync(parse, ct);
            using (identity)
            {
                if (reporter.Json)
                {
                    Console.Out.WriteLine(new JsonObject
                    {
                        ["nodeId"] = identity.NodeId.ToString(),
                        ["publicKey"] = identity.PublicKey.ToString(),
                        ["path"] = path,
                        ["created"] = created,
                    }.ToJsonString());
                }
                else
                {
                    AnsiConsole.MarkupLine($"node id   [bold]{identity.NodeId}[/]");
                    AnsiConsole.MarkupLine($"identity  {Markup.Escape(path ?? "(in memory)")}{(created ? " [green](created now)[/]" : "")}");
                }
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
