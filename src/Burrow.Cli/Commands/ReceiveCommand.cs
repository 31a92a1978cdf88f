using System.CommandLine;
using Burrow.Cli.Output;
using Burrow.Cli.Transfer;

namespace Burrow.Cli.Commands;

/// <summary><c>burrow receive</c>: prints this node's address and receives one file from a <c>burrow send</c>.</summary>
internal static class ReceiveCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--output", "-o") { Description = "Folder to save the file in.", DefaultValueFactory = _ => "." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace a file of the same name." };
        var command = new Command("receive", "Print this node's address and receive one file sent with 'burrow send'; it is kept only if its SHA-256 matches.")
        {
            output, overwrite,
        };
        ListenCommand.AddListenOptions(command);
        command.SetAction((parse, ct) =>
        {
            var reporter = new Reporter(parse.GetValue(CommonOptions.Json), Console.Error);
            var folder = parse.GetValue(output)!;
            return Directory.Exists(folder)
                ? ListenCommand.ServeOneAsync(parse, reporter,
                    (connection, r, token) => TransferSession.ReceiveAsync(connection, r, folder, parse.GetValue(overwrite), new TransferTimeouts(), token), ct)
                : Task.FromResult(reporter.Fail(ExitCodes.BadInput, "no_such_folder", $"{folder} is not a folder."));
        });
        return command;
    }
}
