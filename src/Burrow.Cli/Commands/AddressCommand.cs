using System.CommandLine;
using Burrow.Addressing;
using Burrow.Cli.Output;
using Spectre.Console;

namespace Burrow.Cli.Commands;

/// <summary><c>burrow address explain ADDRESS</c>: every field of an address, in words.</summary>
internal static class AddressCommand
{
    public static Command Create()
    {
        var address = new Argument<string>("address") { Description = "A Burrow address (burrow1…)." };
        var explain = new Command("explain", "Decode, verify and explain every field of an address.") { address };
        explain.SetAction(parse =>
        {
            var reporter = new Reporter(parse.GetValue(CommonOptions.Json), Console.Error);
            if (!NodeAddress.TryParse(parse.GetValue(address), out var decoded, out var error))
            {
                return reporter.Fail(ExitCodes.BadInput, "bad_address", NodeAddress.Describe(error), new() { ["reason"] = error.ToString() });
            }
            var now = DateTimeOffset.UtcNow;
            if (reporter.Json)
            {
                Console.Out.WriteLine(AddressExplanation.Json(decoded, now).ToJsonString());
                return ExitCodes.Success;
            }
            var table = new Table().AddColumns("field", "value", "meaning").Border(TableBorder.Rounded);
            foreach (var (field, value, meaning) in AddressExplanation.Rows(decoded, now))
            {
                table.AddRow(Markup.Escape(field), Markup.Escape(value), Markup.Escape(meaning));
            }
            AnsiConsole.Write(table);
            return ExitCodes.Success;
        });
        return new Command("address", "Work with Burrow addresses.") { explain };
    }
}
