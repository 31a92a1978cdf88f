using System.Net;
using System.Net.Sockets;
using Burrow.Addressing;
using Burrow.Node;
using Microsoft.Extensions.Logging;

namespace Burrow.PortMapping;

/// <summary>
/// Maps the node's listening TCP port on the gateway and advertises the mapped public endpoint, with its
/// method, once the public endpoint is known. Once the node listens it probes PCP, NAT-PMP and UPnP in
/// parallel and maps with the best that answers, waiting at most <see cref="PortMapOptions.InitialWait"/> so
/// the first address can include it; a <see cref="MappingKeeper"/> then renews, re-maps and finally deletes it.
/// </summary>
public sealed class PortMapSource(PortMapOptions? options = null) : IReachabilitySource
{
    private readonly PortMapOptions _options = options ?? new PortMapOptions();
    private MappingKeeper? _keeper;

    /// <summary>The mapping in use (public endpoint known), if any.</summary>
    public PortMapping? Mapping => _keeper?.Mapping;

    /// <summary>Why there is no mapping, once an attempt failed (or there was no gateway).</summary>
    public PortMapResult? LastResult { get; private set; }

    /// <summary>Time from node start to the first mapping.</summary>
    public TimeSpan? TimeToFirstMapping => _keeper?.TimeToFirstMapping;

    /// <summary>Time from the node listening to the first attempt's outcome, mapped or not.</summary>
    public TimeSpan? TimeToFirstResult => _keeper?.TimeToFirstResult;

    public async Task StartAsync(ReachabilityContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var logger = context.LoggerFactory.CreateLogger<PortMapSource>();
        var port = context.ListenEndPoints.FirstOrDefault(e => e.AddressFamily == AddressFamily.InterNetwork || e.Address.Equals(IPAddress.IPv6Any))?.Port ?? 0;
        var gateway = _options.Gateway ?? DefaultGateway.Find();
        if (port == 0 || gateway is null)
        {
            LastResult = PortMapResult.None(NoMappingReason.NoGateway, port == 0 ? "the node listens on no IPv4 port" : "no default gateway in the routing table");
            PortMapLog.NoMapping(logger, LastResult.Reason.ToString(), LastResult.Detail);
            return;
        }
        var request = new PortMapRequest(PortMapProtocol.Tcp, port, _options.Lifetime) { Description = _options.Description };
        _keeper = new MappingKeeper(new GatewayMappers(gateway, _options, logger), request, _options, logger);
        _keeper.Changed += _ => context.Changed();
        _keeper.Start();
        await Task.WhenAny(_keeper.FirstAttempt, Task.Delay(_options.InitialWait, _options.TimeProvider, cancellationToken)).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        LastResult = _keeper.LastResult;
    }

    public IReadOnlyList<AddressEndpoint> Apply(IReadOnlyList<AddressEndpoint> endpoints)
    {
        var mapping = Mapping;
        if (mapping is null)
        {
            return endpoints;
        }
        var v4 = endpoints.Where(e => e.Family == AddressFamily.InterNetwork && e.ListenPort == mapping.Internal.Port).ToList();
        var target = v4.FirstOrDefault(e => mapping.Internal.Address.Equals(e.LanAddress)) ?? v4.FirstOrDefault();
        if (target is null)
        {
            return [.. endpoints, new AddressEndpoint
            {
                LanAddress = mapping.Internal.Address.Equals(IPAddress.Any) ? null : mapping.Internal.Address,
                PublicAddress = mapping.External.Address,
                ListenPort = mapping.Internal.Port,
                MappedPort = mapping.External.Port,
                MappingMethod = mapping.Method,
            }];
        }
        if (target.PublicAddress is { } observed && !observed.Equals(mapping.External.Address))
        {
            return endpoints; // verify, don't trust: what the outside saw disagrees with what the gateway claims
        }
        var mapped = target with { PublicAddress = mapping.External.Address, MappedPort = mapping.External.Port, MappingMethod = mapping.Method };
        return [.. endpoints.Select(e => ReferenceEquals(e, target) ? mapped : e)];
    }

    public async ValueTask DisposeAsync()
    {
        if (_keeper is not null)
        {
            await _keeper.DisposeAsync().ConfigureAwait(false);
        }
    }
}
