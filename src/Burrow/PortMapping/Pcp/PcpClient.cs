using System.Net;
using System.Security.Cryptography;
using Burrow.Addressing;
using Microsoft.Extensions.Logging;

namespace Burrow.PortMapping.Pcp;

/// <summary>A PCP (RFC 6887) client for one gateway: ANNOUNCE to probe, MAP to create, renew and delete.</summary>
public sealed class PcpClient(IPEndPoint server, TimeProvider time, ILogger logger) : IPortMapper
{
    private const int MaxSends = 9;

    public MappingMethod Method => MappingMethod.Pcp;

    public async Task<GatewayProbe> ProbeAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var exchange = await UdpExchange.RunAsync(server, PcpCodec.AnnounceRequest,
            bytes => Expect(PcpCodec.ParseReply(bytes.Span), PcpCodec.OpAnnounce, null), time, MaxSends, cancellationToken).ConfigureAwait(false);
        var elapsed = time.GetElapsedTime(started);
        return exchange.Reply switch
        {
            { Result: PcpResult.Success } reply => new GatewayProbe(Method, true, elapsed, "answered") { Epoch = reply.Epoch },
            { } reply => new GatewayProbe(Method, false, elapsed, $"result {reply.Result}") { Reason = ReasonOf(reply.Result), Epoch = reply.Epoch },
            null => new GatewayProbe(Method, false, elapsed, exchange.Detail) { Reason = exchange.Reason },
        };
    }

    public async Task<PortMapResult> MapAsync(PortMapRequest request, PortMapping? previous, CancellationToken cancellationToken)
    {
        // Renewing reuses the nonce (it owns the mapping) and asks for the same external endpoint.
        var nonce = previous is { Nonce.Length: PcpCodec.NonceLength } ? previous.Nonce.ToArray() : RandomNumberGenerator.GetBytes(PcpCodec.NonceLength);
        var suggestedPort = (ushort)(previous?.External.Port ?? request.PreferredExternalPort);
        var lifetime = (uint)Math.Clamp(request.Lifetime.TotalSeconds, 1, uint.MaxValue);
        var exchange = await UdpExchange.RunAsync(server,
            client => PcpCodec.MapRequest(client, nonce, request.Protocol, (ushort)request.InternalPort, suggestedPort, previous?.External.Address, lifetime),
            bytes => Expect(PcpCodec.ParseReply(bytes.Span), PcpCodec.OpMap, nonce),
            time, MaxSends, cancellationToken).ConfigureAwait(false);
        if (exchange.Reply is not { } reply)
        {
            return PortMapResult.None(exchange.Reason, exchange.Detail);
        }
        if (reply.Result != PcpResult.Success)
        {
            return PortMapResult.None(ReasonOf(reply.Result), $"PCP result {reply.Result}");
        }
        var map = reply.Map!;
        return PortMapResult.Granted(new PortMapping(Method, request.Protocol, new IPEndPoint(exchange.Local ?? IPAddress.Any, request.InternalPort),
            new IPEndPoint(map.ExternalAddress, map.ExternalPort), TimeSpan.FromSeconds(reply.Lifetime), time.GetUtcNow())
        {
            Epoch = reply.Epoch,
            Nonce = nonce,
            Gateway = server.Address,
        }, "PCP");
    }

    public async Task<bool> DeleteAsync(PortMapping mapping, CancellationToken cancellationToken)
    {
        var nonce = mapping.Nonce.ToArray();
        var exchange = await UdpExchange.RunAsync(server,
            client => PcpCodec.MapRequest(client, nonce, mapping.Protocol, (ushort)mapping.Internal.Port, 0, null, 0),
            bytes => Expect(PcpCodec.ParseReply(bytes.Span), PcpCodec.OpMap, nonce),
            time, MaxSends, cancellationToken).ConfigureAwait(false);
        var deleted = exchange.Reply is { Result: PcpResult.Success };
        if (!deleted)
        {
            PortMapLog.DeleteFailed(logger, mapping.Describe(), exchange.Reply?.Result.ToString() ?? exchange.Detail);
        }
        return deleted;
    }

    /// <summary>Skips replies to something else (another opcode, another nonce): they may be stale retransmits.</summary>
    private static PcpReply Expect(PcpReply reply, byte opcode, byte[]? nonce)
    {
        if (reply.Opcode != opcode)
        {
            throw new PortMapFormatException(PortMapFormatError.Mismatch, $"PCP reply for opcode {reply.Opcode}, expected {opcode}.");
        }
        if (nonce is not null && reply.Map is { } map && !map.Nonce.AsSpan().SequenceEqual(nonce))
        {
            throw new PortMapFormatException(PortMapFormatError.Mismatch, "PCP reply with another nonce.");
        }
        return reply;
    }

    private static NoMappingReason ReasonOf(PcpResult result) => result switch
    {
        PcpResult.NotAuthorized or PcpResult.AddressMismatch => NoMappingReason.NotAuthorized,
        PcpResult.NoResources or PcpResult.UserExceededQuota => NoMappingReason.NoResources,
        PcpResult.CannotProvideExternal => NoMappingReason.Conflict,
        PcpResult.NetworkFailure => NoMappingReason.NoPublicAddress,
        _ => NoMappingReason.Unsupported,
    };
}
