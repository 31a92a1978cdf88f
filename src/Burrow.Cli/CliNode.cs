using System.CommandLine;
using Burrow.Identity;
using Burrow.Node;
using Burrow.Rendezvous.Client;
using Microsoft.Extensions.Logging;

namespace Burrow.Cli;

/// <summary>A node started from the command line's shared options, owning its identity and logging.</summary>
internal sealed class CliNode : IAsyncDisposable
{
    private readonly NodeIdentity _identity;
    private readonly ILoggerFactory _logging;

    private CliNode(NodeIdentity identity, ILoggerFactory logging, BurrowNode node) => (_identity, _logging, Node) = (identity, logging, node);

    public BurrowNode Node { get; }

    /// <summary>Loads the identity (<c>--identity</c>/<c>--ephemeral</c>), sets up logging (<c>--verbose</c>), picks the rendezvous transport (<c>--rendezvous-udp</c>) and starts the node with <paramref name="configure"/>d options.</summary>
    public static async Task<CliNode> StartAsync(ParseResult parse, Func<BurrowNodeOptions, BurrowNodeOptions> configure, CancellationToken cancellationToken)
    {
        var (identity, _, _) = await NodeFactory.LoadIdentityAsync(parse, cancellationToken);
        var logging = NodeFactory.Logging(parse);
        try
        {
            var options = new BurrowNodeOptions { Identity = identity, LoggerFactory = logging };
            if (parse.GetValue(CommonOptions.RendezvousUdp))
            {
                options = options with { RendezvousClient = options.RendezvousClient with { Transport = RendezvousTransport.Datagram } };
            }
            var node = await BurrowNode.StartAsync(configure(options), cancellationToken);
            return new CliNode(identity, logging, node);
        }
        catch
        {
            logging.Dispose();
            identity.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        _logging.Dispose();
        _identity.Dispose();
    }
}
