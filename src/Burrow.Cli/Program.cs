using System.CommandLine;
using Burrow;
using Burrow.Cli;
using Burrow.Cli.Commands;
using Burrow.Cli.Output;

var root = new RootCommand("Burrow: direct, encrypted TCP connections between peers, through NATs and firewalls.")
{
    IdCommand.Create(),
    AddressCommand.Create(),
    ListenCommand.Create(),
    ConnectCommand.Create(),
    SendCommand.Create(),
    ReceiveCommand.Create(),
    DemoCommand.Create(),
    RendezvousCommand.Create(),
    PortmapCommand.Create(),
    ProbeCommand.Create(),
    StunServerCommand.Create(),
};
root.Options.Add(CommonOptions.Json);
root.Options.Add(CommonOptions.Identity);
root.Options.Add(CommonOptions.Ephemeral);
root.Options.Add(CommonOptions.RendezvousUdp);
root.Options.Add(CommonOptions.Verbose);

var parse = root.Parse(args);
var reporter = new Reporter(parse.GetValue(CommonOptions.Json), Console.Error);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors)
    {
        reporter.Fail(ExitCodes.BadInput, "usage", error.Message);
    }
    if (!reporter.Json)
    {
        Console.Error.WriteLine("Try 'burrow --help'.");
    }
    return ExitCodes.BadInput;
}
try
{
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (IdentityException e)
{
    return reporter.Fail(ExitCodes.BadInput, e.Code, e.Message);
}
catch (BurrowException e)
{
    return reporter.Fail(ExitCodes.ConnectionFailed, e.Code, e.Message);
}
catch (System.Net.Sockets.SocketException e)
{
    return reporter.Fail(ExitCodes.ConnectionFailed, "socket", e.Message);
}
