using System.Net;
using Burrow.Addressing;
using Microsoft.Extensions.Logging;

namespace Burrow.Node;

/// <summary>
/// Something that learns how this node can be reached — a port mapper, a NAT prober — and folds it into the
/// endpoints of the node's address. The node starts each source once it listens, re-issues its address when
/// a source reports a change, and disposes the sources when it stops (a port mapper deletes its mappings then).
/// </summary>
public interface IReachabilitySource : IAsyncDisposable
{
    /// <summary>Starts learning; what is known when this returns is in the node's first address.</summary>
    Task StartAsync(ReachabilityContext context, CancellationToken cancellationToken);

    /// <summary>Folds what the source knows into the endpoints to advertise (pure: no I/O, no waiting).</summary>
    IReadOnlyList<AddressEndpoint> Apply(IReadOnlyList<AddressEndpoint> endpoints);
}

/// <summary>What a reachability source is told about the node.</summary>
/// <param name="ListenEndPoints">The node's listening sockets, as bound.</param>
/// <param name="Changed">Call when what <see cref="IReachabilitySource.Apply"/> returns has changed.</param>
public sealed record ReachabilityContext(
    IReadOnlyList<IPEndPoint> ListenEndPoints,
    ILoggerFactory LoggerFactory,
    TimeProvider Time,
    Action Changed);
