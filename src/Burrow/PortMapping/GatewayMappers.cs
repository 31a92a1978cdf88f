using System.Net;
using Burrow.Addressing;
using Burrow.PortMapping.NatPmp;
using Burrow.PortMapping.Pcp;
using Burrow.PortMapping.Upnp;
using Microsoft.Extensions.Logging;

namespace Burrow.PortMapping;

/// <summary>
/// The protocol clients for one gateway, in order of preference (PCP, NAT-PMP, UPnP by default). Probes them
/// in parallel, each bounded by <see cref="PortMapOptions.ProbeTimeout"/>, and maps with the best that answers.
/// </summary>
public sealed class GatewayMappers
{
    private readonly PortMapOptions _options;
    private readonly ILogger _logger;

    public GatewayMappers(IPAddress gateway, PortMapOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(options);
        Gateway = gateway;
        _options = options;
        _logger = logger;
        var natPmpServer = new IPEndPoint(gateway, options.NatPmpPort);
        var ssdp = options.SsdpTargets ?? [new IPEndPoint(gateway, SsdpCodec.Port), new IPEndPoint(SsdpCodec.MulticastAddress, SsdpCodec.Port)];
        Mappers = [.. options.Methods.Distinct().Select(method => method switch
        {
            MappingMethod.Pcp => (IPortMapper)new PcpClient(natPmpServer, options.TimeProvider, logger),
            MappingMethod.NatPmp => new NatPmpClient(natPmpServer, options.TimeProvider, logger),
            MappingMethod.Upnp => new UpnpClient(gateway, ssdp, options, logger),
            _ => throw new ArgumentException($"{method} is not a port-mapping protocol.", nameof(options)),
        })];
    }

    public IPAddress Gateway { get; }

    /// <summary>Best first.</summary>
    public IReadOnlyList<IPortMapper> Mappers { get; }

    /// <summary>Probes every protocol at once; each result arrives within the probe timeout.</summary>
    public Task<GatewayProbe[]> ProbeAllAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(Mappers.Select(m => ProbeAsync(m, cancellationToken)));

    /// <summary>
    /// Probes all protocols in parallel and maps with the most preferred one that answers, falling back to the
    /// next when it refuses. Waits for a protocol's probe only while no better one has answered.
    /// </summary>
    public async Task<(PortMapResult Result, IPortMapper? Mapper)> MapBestAsync(PortMapRequest request, CancellationToken cancellationToken)
    {
        using var probing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var probes = Mappers.Select(m => ProbeAsync(m, probing.Token)).ToList();
        var reasons = new List<string>();
        var worst = NoMappingReason.NoResponse;
        try
        {
            for (var i = 0; i < Mappers.Count; i++)
            {
                var probe = await probes[i].ConfigureAwait(false);
                if (!probe.Available)
                {
                    reasons.Add($"{probe.Method}: {probe.Detail}");
                    continue;
                }
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.RequestTimeout);
                var result = await Mappers[i].MapAsync(request, null, timeout.Token).ConfigureAwait(false);
                if (result.Mapping is not null)
                {
                    return (result, Mappers[i]);
                }
                reasons.Add($"{probe.Method}: {result.Reason} {result.Detail}");
                worst = result.Reason;
            }
        }
        finally
        {
            await probing.CancelAsync().ConfigureAwait(false);
        }
        return (PortMapResult.None(Mappers.Count == 0 ? NoMappingReason.Unsupported : worst, string.Join("; ", reasons)), null);
    }

    private async Task<GatewayProbe> ProbeAsync(IPortMapper mapper, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ProbeTimeout);
        GatewayProbe probe;
        try
        {
            probe = await mapper.ProbeAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            probe = new GatewayProbe(mapper.Method, false, _options.ProbeTimeout, "no answer within the probe timeout") { Reason = NoMappingReason.NoResponse };
        }
        PortMapLog.Probed(_logger, mapper.Method.ToString(), probe.Available, probe.Elapsed.TotalMilliseconds, probe.Detail);
        return probe;
    }
}
