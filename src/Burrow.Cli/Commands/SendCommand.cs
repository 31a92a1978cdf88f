using System.CommandLine;
using Burrow.Cli.Output;
using Burrow.Cli.Transfer;

namespace Burrow.Cli.Commands;

/// <summary><c>burrow send FILE ADDRESS</c>: connects to a <c>burrow receive</c> and sends it one file.</summary>
internal static class SendCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "The file to send." };
        var address = new Argument<string>("address") { Description = "The receiver's Burrow address (burrow1…), as printed by 'burrow receive'." };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to give all strategies together.", DefaultValueFactory = _ => 10 };
        var command = new Command("send", "Send a file to a peer running 'burrow receive', with a progress bar and an end-to-end SHA-256 check.") { file, address, timeout };
        ConnectCommand.AddDialOptions(command);
        command.SetAction(async (parse, ct) =>
        {
            var reporter = new Reporter(parse.GetValue(CommonOptions.Json), Console.Error);
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                return reporter.Fail(ExitCodes.BadInput, "no_such_file", $"{path} is not a file.");
            }
            if (parse.GetValue(timeout) is <= 0 or > 3600)
            {
                return reporter.Fail(ExitCodes.BadInput, "usage", "--timeout must be more than 0 and at most 3600 seconds.");
            }
            return await ConnectCommand.DialAsync(parse, reporter, parse.GetValue(address)!, parse.GetValue(timeout),
                (connection, token) => TransferSession.SendAsync(connection, reporter, path, new TransferTimeouts(), token), ct);
        });
        return command;
    }
}
