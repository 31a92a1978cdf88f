using System.Net.Sockets;
using Burrow.Addressing;
using Burrow.Connect.Punch;
using Burrow.Node;

namespace Burrow.Probing;

/// <summary>
/// A <see cref="IReachabilitySource"/> that probes the NAT when the node starts and advertises what it found:
/// the public address and the TCP mapping/filtering behaviour of each address family it could probe. A probe
/// that learned nothing leaves the endpoints as they were (the NAT fields stay unknown). Afterwards it answers
/// a punch's question "which port is the NAT giving now?" with the same servers.
/// </summary>
public sealed class NatProbeSource(NatProberOptions options) : IReachabilitySource, IMappingObserver
{
    private NatProber? _prober;

    /// <summary>The last probe's report, once <see cref="StartAsync"/> has run.</summary>
    public ProbeReport? Report { get; private set; }

    public async Task StartAsync(ReachabilityContext context, CancellationToken cancellationToken)
    {
        _prober = new NatProber(options with { LoggerFactory = context.LoggerFactory, TimeProvider = context.Time });
        Report = await _prober.ProbeAsync(cancellationToken);
    }

    public Task<System.Net.IPEndPoint?> ObserveAsync(System.Net.IPEndPoint local, CancellationToken cancellationToken) =>
        _prober is { } prober ? prober.ObserveTcpAsync(local, cancellationToken) : Task.FromResult<System.Net.IPEndPoint?>(null);

    public IReadOnlyList<AddressEndpoint> Apply(IReadOnlyList<AddressEndpoint> endpoints) =>
        Report is null ? endpoints : [.. endpoints.Select(Apply)];

    private AddressEndpoint Apply(AddressEndpoint endpoint)
    {
        var probed = Report!.Families.Where(f => f.Family == endpoint.Family && f.Verdict.TcpMapping.PublicAddress is not null).ToList();
        // the probe from this endpoint's own interface, else the one the route chose
        var family = probed.FirstOrDefault(f => f.LocalAddress.Equals(endpoint.LanAddress)) ?? probed.FirstOrDefault();
        if (family is null || endpoint.Family == AddressFamily.Unspecified)
        {
            return endpoint;
        }
        var verdict = family.Verdict;
        return endpoint with
        {
            PublicAddress = endpoint.PublicAddress ?? verdict.TcpMapping.PublicAddress,
            Nat = verdict.Behavior,
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (_prober is not null)
        {
            await _prober.DisposeAsync();
        }
    }
}
