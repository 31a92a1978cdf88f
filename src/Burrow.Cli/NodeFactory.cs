using System.CommandLine;
using Burrow.Identity;
using Burrow.Node;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Burrow.Cli;

/// <summary>Turns the shared options into an identity and node options.</summary>
internal static class NodeFactory
{
    public static async Task<(NodeIdentity Identity, bool Created, string? Path)> LoadIdentityAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        if (parse.GetValue(CommonOptions.Ephemeral))
        {
            return (NodeIdentity.Create(), true, null);
        }
        var path = parse.GetValue(CommonOptions.Identity) ?? IdentityStore.DefaultPath;
        var (identity, created) = await IdentityStore.LoadOrCreateAsync(path, cancellationToken);
        return (identity, created, Path.GetFullPath(path));
    }

    public static ILoggerFactory Logging(ParseResult parse) =>
        parse.GetValue(CommonOptions.Verbose)
            ? LoggerFactory.Create(b => b
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace) // stdout is the data channel
                .AddSimpleConsole(o => o.SingleLine = true)
                .AddFilter("Burrow", LogLevel.Debug))
            : NullLoggerFactory.Instance;
}
