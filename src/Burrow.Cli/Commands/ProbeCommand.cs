using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Burrow.Cli.Output;
using Burrow.Probing;

namespace Burrow.Cli.Commands;

/// <summary><c>burrow probe</c>: measures how the NAT in front of this machine maps and filters TCP and UDP.</summary>
internal static class ProbeCommand
{
    public static Command Create()
    {
        var server = new Option<string[]>("--server", "-s") { Description = "A STUN server HOST:PORT (repeatable). A Burrow stun-server with --alt gives the full verdict (TCP filtering too)." };
        var localPort = new Option<int>("--local-port") { Description = "The local port every probe leaves from (0: a free one).", DefaultValueFactory = _ => 0 };
        var noUdp = new Option<bool>("--no-udp") { Description = "Probe TCP only." };
        var bind = new Option<string[]>("--bind") { Description = "A local IP (one interface) to probe from (repeatable): one verdict each. Default: the route's choice, per family." };
        var command = new Command("probe", "Measure how the NAT in front of this machine maps and filters connections, and what that means for peers.")
        {
            server, localPort, noUdp, bind,
        };
        command.SetAction(async (parse, ct) =>
        {
            var reporter = new Reporter(parse.GetValue(CommonOptions.Json), Console.Error);
            var port = parse.GetValue(localPort);
            if (port is < 0 or > 65535)
            {
                return reporter.Fail(ExitCodes.BadInput, "usage", "--local-port must be between 0 and 65535.");
            }
            var texts = parse.GetValue(server) ?? [];
            if (texts.Length == 0)
            {
                return reporter.Fail(ExitCodes.BadInput, "usage", "give at least one --server HOST:PORT (e.g. a `burrow stun-server`).");
            }
            var servers = new List<IPEndPoint>();
            foreach (var text in texts)
            {
                if (await ResolveAsync(text, ct) is not { } endpoint)
                {
                    return reporter.Fail(ExitCodes.BadInput, "usage", $"--server '{text}' is not a HOST:PORT that resolves.");
                }
                servers.Add(endpoint);
            }
            var locals = new List<IPAddress>();
            foreach (var text in parse.GetValue(bind) ?? [])
            {
                if (!IPAddress.TryParse(text, out var ip))
                {
                    return reporter.Fail(ExitCodes.BadInput, "usage", $"--bind '{text}' is not an IP address.");
                }
                locals.Add(ip);
            }
            using var logging = NodeFactory.Logging(parse);
            await using var prober = new NatProber(new NatProberOptions
            {
                Servers = servers,
                LocalPort = port,
                LocalAddresses = locals,
                Udp = !parse.GetValue(noUdp),
                LoggerFactory = logging,
            });
            reporter.Say($"probing via {string.Join(", ", servers)}…");
            ProbeReport report;
            try
            {
                report = await prober.ProbeAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return ExitCodes.Interrupted;
            }
            ProbeOutput.Show(reporter, report);
            var answered = report.Families.Any(f => f.Verdict.TcpMapping.PublicAddress is not null || f.Verdict.UdpMapping?.PublicAddress is not null);
            return answered ? ExitCodes.Success
                : reporter.Fail(ExitCodes.ConnectionFailed, "probe_failed", "no STUN server answered");
        });
        return command;
    }

    /// <summary>HOST:PORT or [v6]:PORT, the host an address or a name (its first address).</summary>
    private static async Task<IPEndPoint?> ResolveAsync(string text, CancellationToken cancellationToken)
    {
        if (IPEndPoint.TryParse(text, out var literal))
        {
            return literal.Port is > 0 and <= 65535 && text.Contains(':') ? literal : null;
        }
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
        {
            return null;
        }
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(text[..colon], cancellationToken);
            return addresses.Length > 0 ? new IPEndPoint(addresses[0], port) : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
