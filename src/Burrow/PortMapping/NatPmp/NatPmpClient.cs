using System.Net;
using Burrow.Addressing;
using Microsoft.Extensions.Logging;

namespace Burrow.PortMapping.NatPmp;

/// <summary>A NAT-PMP (RFC 6886) client for one gateway.</summary>
public sealed class NatPmpClient(IPEndPoint server, TimeProvider time, ILogger logger) : IPortMapper
{
    private const int MaxSends = 9; // RFC 6886 §3.1: 250 ms doubling, 9 tries (bounded by the caller's token)

    public MappingMethod Method => MappingMethod.NatPmp;

    public async Task<GatewayProbe> ProbeAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var exchange = await AddressAsync(cancellationToken).ConfigureAwait(false);
        var elapsed = time.GetElapsedTime(started);
        return exchange.Reply switch
        {
            { Result: NatPmpResult.Success } reply => new GatewayProbe(Method, true, elapsed, "answered") { ExternalAddress = reply.Address, Epoch = reply.Epoch },
            { } reply => new GatewayProbe(Method, false, elapsed, $"result {reply.Result}") { Reason = ReasonOf(reply.Result), Epoch = reply.Epoch },
            null => new GatewayProbe(Method, false, elapsed, exchange.Detail) { Reason = exchange.Reason },
        };
    }

    public async Task<PortMapResult> MapAsync(PortMapRequest request, PortMapping? previous, CancellationToken cancellationToken)
    {
        var address = await AddressAsync(cancellationToken).ConfigureAwait(false);
        if (address.Reply is not { Result: NatPmpResult.Success } external)
        {
            return PortMapResult.None(address.Reply is { } r ? ReasonOf(r.Result) : address.Reason, $"external address: {address.Reply?.Result.ToString() ?? address.Detail}");
        }
        var suggested = (ushort)(previous?.External.Port ?? request.PreferredExternalPort);
        var lifetime = (uint)Math.Clamp(request.Lifetime.TotalSeconds, 1, uint.MaxValue);
        var exchange = await UdpExchange.RunAsync(server,
            _ => NatPmpCodec.MapRequest(request.Protocol, (ushort)request.InternalPort, suggested, lifetime),
            bytes => ParseMapReplyFor(bytes.Span, request),
            time, MaxSends, cancellationToken).ConfigureAwait(false);
        if (exchange.Reply is not { } map)
        {
            return PortMapResult.None(exchange.Reason, exchange.Detail);
        }
        if (map.Result != NatPmpResult.Success)
        {
            return PortMapResult.None(ReasonOf(map.Result), $"NAT-PMP result {map.Result}");
        }
        return PortMapResult.Granted(new PortMapping(Method, request.Protocol, new IPEndPoint(exchange.Local ?? IPAddress.Any, request.InternalPort),
            new IPEndPoint(external.Address, map.ExternalPort), TimeSpan.FromSeconds(map.Lifetime), time.GetUtcNow())
        {
            Epoch = map.Epoch,
            Gateway = server.Address,
        }, "NAT-PMP");
    }

    public async Task<bool> DeleteAsync(PortMapping mapping, CancellationToken cancellationToken)
    {
        var exchange = await UdpExchange.RunAsync(server,
            _ => NatPmpCodec.MapRequest(mapping.Protocol, (ushort)mapping.Internal.Port, 0, 0),
            bytes => NatPmpCodec.ParseMapReply(bytes.Span, mapping.Protocol),
            time, MaxSends, cancellationToken).ConfigureAwait(false);
        var deleted = exchange.Reply is { Result: NatPmpResult.Success };
        if (!deleted)
        {
            PortMapLog.DeleteFailed(logger, mapping.Describe(), exchange.Reply?.Result.ToString() ?? exchange.Detail);
        }
        return deleted;
    }

    private static NatPmpMapReply ParseMapReplyFor(ReadOnlySpan<byte> bytes, PortMapRequest request)
    {
        var reply = NatPmpCodec.ParseMapReply(bytes, request.Protocol);
        return reply.Result != NatPmpResult.Success || reply.InternalPort == request.InternalPort
            ? reply
            : throw new PortMapFormatException(PortMapFormatError.Mismatch, $"NAT-PMP reply for internal port {reply.InternalPort}, expected {request.InternalPort}.");
    }

    private Task<UdpExchangeResult<NatPmpAddressReply>> AddressAsync(CancellationToken cancellationToken) =>
        UdpExchange.RunAsync(server, _ => NatPmpCodec.ExternalAddressRequest(), bytes => NatPmpCodec.ParseAddressReply(bytes.Span), time, MaxSends, cancellationToken);

    private static NoMappingReason ReasonOf(NatPmpResult result) => result switch
    {
        NatPmpResult.NotAuthorized => NoMappingReason.NotAuthorized,
        NatPmpResult.OutOfResources => NoMappingReason.NoResources,
        NatPmpResult.NetworkFailure => NoMappingReason.NoPublicAddress, // RFC 6886: the gateway has no public address yet
        _ => NoMappingReason.Unsupported,
    };
}
