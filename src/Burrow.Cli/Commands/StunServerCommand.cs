using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using Burrow.Cli.Output;
using Burrow.Probing.Stun;

namespace Burrow.Cli.Commands;

/// <summary><c>burrow stun-server</c>: answers STUN binding requests (UDP and TCP), RFC 5780-style with <c>--alt</c>.</summary>
internal static class StunServerCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen", "-l") { Description = "IP:PORT to answer on (port 0: one chosen by the system, shown in the listening event).", Required = true };
        var alt = new Option<string?>("--alt") { Description = "A second IP:PORT (another address and another port): enables the RFC 5780 tests and TCP connect-back." };
        var command = new Command("stun-server", "Run a STUN server (UDP and TCP) until interrupted.") { listen, alt };
        command.SetAction(async (parse, ct) =>
        {
            var reporter = new Reporter(parse.GetValue(CommonOptions.Json), Console.Error);
            if (!TryEndpoint(parse.GetValue(listen), out var primary))
            {
                return reporter.Fail(ExitCodes.BadInput, "usage", $"--listen '{parse.GetValue(listen)}' is not an IP:PORT.");
            }
            IPEndPoint? alternate = null;
            if (parse.GetValue(alt) is { } altText && !TryEndpoint(altText, out alternate))
            {
                return reporter.Fail(ExitCodes.BadInput, "usage", $"--alt '{altText}' is not an IP:PORT.");
            }
            if (alternate is not null && (alternate.Address.Equals(primary.Address) || (alternate.Port == primary.Port && primary.Port != 0) || alternate.AddressFamily != primary.AddressFamily))
            {
                return reporter.Fail(ExitCodes.BadInput, "usage", "--alt needs another IP address of the same family and another port than --listen.");
            }
            using var logging = NodeFactory.Logging(parse);
            await using var server = StunServer.Start(new StunServerOptions { Primary = primary, Alternate = alternate, LoggerFactory = logging });
            reporter.Event("listening", new JsonObject
            {
                ["endpoints"] = new JsonArray([.. server.EndPoints.Select(e => (JsonNode)e.ToString())]),
                ["primary"] = server.Primary.ToString(),
                ["alternate"] = server.Alternate?.ToString(),
            });
            reporter.Say($"STUN server answering on {string.Join(", ", server.EndPoints)} (UDP and TCP){(server.Alternate is null ? "" : " — RFC 5780 tests and TCP connect-back on")}; Ctrl-C to stop");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }
            reporter.Event("stopped", new JsonObject { ["reason"] = "interrupted" });
            return ExitCodes.Interrupted;
        });
        return command;
    }

    private static bool TryEndpoint(string? text, out IPEndPoint endpoint)
    {
        endpoint = null!;
        return text is not null && text.Contains(':') && IPEndPoint.TryParse(text, out endpoint!) && endpoint.Port is >= 0 and <= 65535;
    }
}
