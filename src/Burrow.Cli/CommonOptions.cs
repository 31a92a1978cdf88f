using System.CommandLine;
using Burrow.Identity;

namespace Burrow.Cli;

/// <summary>Options shared by several commands.</summary>
internal static class CommonOptions
{
    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Machine-readable output: one JSON object per line on stderr, each with an \"event\" field.",
        Recursive = true,
    };

    public static readonly Option<string?> Identity = new("--identity")
    {
        Description = $"The identity file (created if missing). Default: {IdentityStore.DefaultPath}",
        Recursive = true,
    };

    public static readonly Option<bool> Ephemeral = new("--ephemeral")
    {
        Description = "Use a fresh in-memory identity instead of the identity file.",
        Recursive = true,
    };

    public static readonly Option<bool> RendezvousUdp = new("--rendezvous-udp")
    {
        Description = "Reach rendezvous servers by datagram (UDP, same port) instead of TLS over TCP.",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Log what the node does, on stderr.",
        Recursive = true,
    };
}
