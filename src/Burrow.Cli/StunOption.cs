using System.CommandLine;
using System.Net;
using Burrow.Node;
using Burrow.Probing;

namespace Burrow.Cli;

/// <summary><c>--stun IP:PORT</c>: profile the NAT at start (a Burrow stun-server with --alt gives the full verdict) and sign it into the address.</summary>
internal static class StunOption
{
    public static readonly Option<string[]> Option = new("--stun")
    {
        Description = "A STUN server IP:PORT (repeatable) to profile this node's NAT with at start; the public address and NAT behaviour go into the address, so peers can predict ports for a hole punch.",
    };

    public static void AddTo(Command command)
    {
        command.Options.Add(Option);
        command.Validators.Add(result =>
        {
            foreach (var server in result.GetValue(Option) ?? [])
            {
                if (!IPEndPoint.TryParse(server, out var parsed) || parsed.Port == 0)
                {
                    result.AddError($"--stun '{server}' is not an IP:PORT.");
                }
            }
        });
    }

    /// <summary>The reachability sources the option asks for (none when it is absent).</summary>
    public static IReadOnlyList<IReachabilitySource> Sources(ParseResult parse) =>
        (parse.GetValue(Option) ?? []) is { Length: > 0 } servers
            ? [new NatProbeSource(new NatProberOptions { Servers = [.. servers.Select(IPEndPoint.Parse)], Udp = false })]
            : [];
}
