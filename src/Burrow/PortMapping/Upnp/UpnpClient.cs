using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Burrow.Addressing;
using Microsoft.Extensions.Logging;

namespace Burrow.PortMapping.Upnp;

/// <summary>One row of a gateway's UPnP port-mapping table.</summary>
public sealed record UpnpTableEntry(string Protocol, int ExternalPort, string InternalClient, int InternalPort, string Description, int LeaseSeconds);

/// <summary>
/// A UPnP IGD (v1 and v2) client: SSDP discovery, the device description, then SOAP actions on the best
/// WANIPConnection or WANPPPConnection service. Each UPnP error a real router returns is handled on purpose:
/// 718 tries another external port, 725 retries with a permanent lease (deleted on dispose), 724 uses the
/// internal port, 606 is "not authorized", 401/501 on AddAnyPortMapping fall back to AddPortMapping.
/// </summary>
public sealed class UpnpClient(IPAddress gateway, IReadOnlyList<IPEndPoint> ssdpTargets, PortMapOptions options, ILogger logger) : IPortMapper
{
    private const int MaxV2Lease = 604800; // IGD v2: leases are at most a week
    private UpnpService? _service;

    public MappingMethod Method => MappingMethod.Upnp;

    /// <summary>The service in use once discovered.</summary>
    public UpnpService? Service => _service;

    private TimeProvider Time => options.TimeProvider;

    public async Task<GatewayProbe> ProbeAsync(CancellationToken cancellationToken)
    {
        var started = Time.GetTimestamp();
        try
        {
            var service = await DiscoverAsync(cancellationToken).ConfigureAwait(false);
            if (service is null)
            {
                return new GatewayProbe(Method, false, Time.GetElapsedTime(started), "no SSDP answer from an IGD") { Reason = NoMappingReason.NoResponse };
            }
            var external = await ExternalAddressAsync(service, cancellationToken).ConfigureAwait(false);
            return new GatewayProbe(Method, true, Time.GetElapsedTime(started), $"{service.ServiceType} at {service.ControlUrl}") { ExternalAddress = external };
        }
        catch (Exception e) when (e is PortMapFormatException or HttpRequestException or SocketException)
        {
            return new GatewayProbe(Method, false, Time.GetElapsedTime(started), e.Message) { Reason = e is PortMapFormatException ? NoMappingReason.BadReply : NoMappingReason.NoResponse };
        }
    }

    public async Task<PortMapResult> MapAsync(PortMapRequest request, PortMapping? previous, CancellationToken cancellationToken)
    {
        try
        {
            var service = await DiscoverAsync(cancellationToken).ConfigureAwait(false);
            if (service is null)
            {
                return PortMapResult.None(NoMappingReason.NoResponse, "no SSDP answer from an IGD");
            }
            var external = await ExternalAddressAsync(service, cancellationToken).ConfigureAwait(false);
            if (external is null || IpScope.Of(external) != IpScopeKind.Global)
            {
                return PortMapResult.None(NoMappingReason.NoPublicAddress, $"the gateway's external address is {external?.ToString() ?? "unknown"} (not public)");
            }
            var client = await LocalAddressTowardsAsync(service.ControlUrl, cancellationToken).ConfigureAwait(false);
            return await AddAsync(service, request, previous, client, external, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PortMapFormatException or HttpRequestException or SocketException)
        {
            return PortMapResult.None(e is PortMapFormatException ? NoMappingReason.BadReply : NoMappingReason.NoResponse, e.Message);
        }
    }

    public async Task<bool> DeleteAsync(PortMapping mapping, CancellationToken cancellationToken)
    {
        string reason;
        try
        {
            var service = _service ?? await DiscoverAsync(cancellationToken).ConfigureAwait(false);
            if (service is not null)
            {
                var reply = await InvokeAsync(service, "DeletePortMapping",
                [
                    new("NewRemoteHost", ""),
                    new("NewExternalPort", mapping.External.Port.ToString(CultureInfo.InvariantCulture)),
                    new("NewProtocol", ProtocolName(mapping.Protocol)),
                ], cancellationToken).ConfigureAwait(false);
                if (!reply.IsError || reply.ErrorCode == (int)UpnpErrorCode.NoSuchEntryInArray)
                {
                    return true;
                }
                reason = $"UPnP error {reply.ErrorCode} {reply.ErrorDescription}";
            }
            else
            {
                reason = "the gateway no longer answers SSDP";
            }
        }
        catch (Exception e) when (e is PortMapFormatException or HttpRequestException or SocketException or OperationCanceledException)
        {
            reason = e.Message;
        }
        PortMapLog.DeleteFailed(logger, mapping.Describe(), reason);
        return false;
    }

    /// <summary>The gateway's port-mapping table (GetGenericPortMappingEntry until the index runs out).</summary>
    public async Task<IReadOnlyList<UpnpTableEntry>> ListAsync(CancellationToken cancellationToken)
    {
        var service = await DiscoverAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new PortMapFormatException(PortMapFormatError.BadHttp, "No UPnP IGD answered.");
        var entries = new List<UpnpTableEntry>();
        for (var index = 0; index < 1024; index++)
        {
            var reply = await InvokeAsync(service, "GetGenericPortMappingEntry",
                [new("NewPortMappingIndex", index.ToString(CultureInfo.InvariantCulture))], cancellationToken).ConfigureAwait(false);
            if (reply.IsError)
            {
                break; // 713 SpecifiedArrayIndexInvalid: the end of the table
            }
            entries.Add(new UpnpTableEntry(reply["NewProtocol"] ?? "", Int(reply["NewExternalPort"]), reply["NewInternalClient"] ?? "",
                Int(reply["NewInternalPort"]), reply["NewPortMappingDescription"] ?? "", Int(reply["NewLeaseDuration"])));
        }
        return entries;
    }

    private async Task<PortMapResult> AddAsync(UpnpService service, PortMapRequest request, PortMapping? previous, IPAddress client, IPAddress external, CancellationToken cancellationToken)
    {
        var lease = (int)Math.Clamp(request.Lifetime.TotalSeconds, 1, MaxV2Lease);
        var permanent = previous?.Permanent ?? false;
        if (permanent)
        {
            lease = 0;
        }
        var port = previous?.External.Port ?? request.PreferredExternalPort;
        var useAny = previous is null && service.Version >= 2;
        var tried = new HashSet<int>();
        var conflicts = 0;
        while (true)
        {
            tried.Add(port);
            var action = useAny ? "AddAnyPortMapping" : "AddPortMapping";
            var reply = await InvokeAsync(service, action, MappingArguments(request, port, client, lease), cancellationToken).ConfigureAwait(false);
            if (!reply.IsError)
            {
                var granted = useAny && int.TryParse(reply["NewReservedPort"], out var reserved) && reserved is > 0 and <= 65535 ? reserved : port;
                return PortMapResult.Mapped(new PortMapping(Method, request.Protocol, new IPEndPoint(client, request.InternalPort),
                    new IPEndPoint(external, granted), TimeSpan.FromSeconds(lease == 0 ? MaxV2Lease : lease), Time.GetUtcNow())
                {
                    Permanent = lease == 0,
                    Gateway = gateway,
                });
            }
            string next;
            switch ((UpnpErrorCode)reply.ErrorCode)
            {
                case UpnpErrorCode.InvalidAction or UpnpErrorCode.ActionFailed or UpnpErrorCode.InvalidArgs when useAny:
                    useAny = false;
                    next = "falling back to AddPortMapping";
                    break;
                case UpnpErrorCode.ConflictInMappingEntry or UpnpErrorCode.ConflictWithOtherMechanisms when ++conflicts <= options.ConflictRetries:
                    port = NextCandidate(request.InternalPort, tried);
                    next = $"trying external port {port}";
                    break;
                case UpnpErrorCode.ConflictInMappingEntry or UpnpErrorCode.ConflictWithOtherMechanisms:
                    return PortMapResult.None(NoMappingReason.Conflict, $"{tried.Count} external ports tried, all taken");
                case UpnpErrorCode.OnlyPermanentLeasesSupported when lease != 0:
                    lease = 0;
                    next = "retrying with a permanent lease (deleted on dispose)";
                    break;
                case UpnpErrorCode.SamePortValuesRequired when port != request.InternalPort:
                    port = request.InternalPort;
                    next = $"retrying with external port = internal port {port}";
                    break;
                case UpnpErrorCode.NotAuthorized:
                    return PortMapResult.None(NoMappingReason.NotAuthorized, $"UPnP {action}: 606 {reply.ErrorDescription}");
                case UpnpErrorCode.ActionFailed:
                    return PortMapResult.None(NoMappingReason.Failed, $"UPnP {action}: 501 {reply.ErrorDescription}");
                default:
                    return PortMapResult.None(NoMappingReason.Unsupported, $"UPnP {action}: {reply.ErrorCode} {reply.ErrorDescription}");
            }
            PortMapLog.UpnpError(logger, action, reply.ErrorCode, reply.ErrorDescription, next);
        }
    }

    private static IReadOnlyList<KeyValuePair<string, string>> MappingArguments(PortMapRequest request, int externalPort, IPAddress client, int lease) =>
    [
        new("NewRemoteHost", ""),
        new("NewExternalPort", externalPort.ToString(CultureInfo.InvariantCulture)),
        new("NewProtocol", ProtocolName(request.Protocol)),
        new("NewInternalPort", request.InternalPort.ToString(CultureInfo.InvariantCulture)),
        new("NewInternalClient", client.ToString()),
        new("NewEnabled", "1"),
        new("NewPortMappingDescription", request.Description),
        new("NewLeaseDuration", lease.ToString(CultureInfo.InvariantCulture)),
    ];

    /// <summary>The next external port after a conflict: a random unprivileged port not tried yet.</summary>
    private static int NextCandidate(int internalPort, HashSet<int> tried)
    {
        int port;
        do
        {
            port = Random.Shared.Next(1024, 65536);
        }
        while (tried.Contains(port) || port == internalPort);
        return port;
    }

    private static string ProtocolName(PortMapProtocol protocol) => protocol == PortMapProtocol.Tcp ? "TCP" : "UDP";

    private static int Int(string? text) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;

    private async Task<IPAddress?> ExternalAddressAsync(UpnpService service, CancellationToken cancellationToken)
    {
        var reply = await InvokeAsync(service, "GetExternalIPAddress", [], cancellationToken).ConfigureAwait(false);
        return !reply.IsError && IPAddress.TryParse(reply["NewExternalIPAddress"], out var address) ? address : null;
    }

    /// <summary>SSDP search (unicast to the gateway and multicast), then the first answering IGD's description.</summary>
    private async Task<UpnpService?> DiscoverAsync(CancellationToken cancellationToken)
    {
        if (_service is not null)
        {
            return _service;
        }
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        foreach (var target in ssdpTargets)
        {
            foreach (var searchTarget in (string[])[SsdpCodec.IgdV2, SsdpCodec.IgdV1])
            {
                await socket.SendToAsync(SsdpCodec.SearchRequest(searchTarget, 1), SocketFlags.None, target, cancellationToken).ConfigureAwait(false);
            }
        }
        var buffer = new byte[2048];
        while (true)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return null;
            }
            catch (SocketException)
            {
                continue; // an ICMP error for one of the targets; others may still answer
            }
            SsdpResponse answer;
            try
            {
                answer = SsdpCodec.ParseResponse(buffer.AsSpan(0, received.ReceivedBytes));
            }
            catch (PortMapFormatException)
            {
                continue;
            }
            var services = await DescribeAsync(answer.Location, cancellationToken).ConfigureAwait(false);
            if (services.Count > 0)
            {
                return _service = services[0];
            }
        }
    }

    private static async Task<IReadOnlyList<UpnpService>> DescribeAsync(Uri location, CancellationToken cancellationToken)
    {
        using var http = NewHttpClient();
        using var response = await http.GetAsync(location, cancellationToken).ConfigureAwait(false);
        var xml = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode ? UpnpDescription.Parse(xml, location) : [];
    }

    private static async Task<SoapReply> InvokeAsync(UpnpService service, string action, IReadOnlyList<KeyValuePair<string, string>> arguments, CancellationToken cancellationToken)
    {
        using var http = NewHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, service.ControlUrl)
        {
            Content = new StringContent(SoapCodec.Envelope(service.ServiceType, action, arguments), Encoding.UTF8, "text/xml"),
        };
        request.Headers.TryAddWithoutValidation("SOAPAction", SoapCodec.SoapAction(service.ServiceType, action));
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return SoapCodec.ParseReply(response.StatusCode, body, action);
    }

    private static HttpClient NewHttpClient() => new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, MaxResponseHeadersLength = 16 })
    {
        Timeout = Timeout.InfiniteTimeSpan, // the caller's token bounds every request
        MaxResponseContentBufferSize = 256 * 1024,
    };

    private static async Task<IPAddress> LocalAddressTowardsAsync(Uri url, CancellationToken cancellationToken)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await probe.ConnectAsync(IPAddress.Parse(url.Host), url.Port, cancellationToken).ConfigureAwait(false);
        return ((IPEndPoint)probe.LocalEndPoint!).Address;
    }
}
