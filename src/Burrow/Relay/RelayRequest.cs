using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Burrow.Addressing;
using Burrow.Codecs;
using Burrow.Connect.Signals;
using Burrow.Identity;

namespace Burrow.Relay;

/// <summary>
/// "Meet me at this relay": the dialer's signal (kind 0x05, a <see cref="SignedSignal"/>) with its signed address,
/// one of the peer's own advertised relays, and a random token both present there:
/// <c>address length(2) · address record · relay host length(1) · host (ASCII) · relay port(2) · token(32)</c>.
/// The peer goes only to a relay its own address names, so a request cannot send it anywhere else.
/// </summary>
public sealed record RelayRequest(SignedSignal Envelope, NodeAddress Dialer, SignalEndpoint Relay, ReadOnlyMemory<byte> Token)
{
    public const byte Kind = 0x05;

    public static byte[] Create(NodeIdentity identity, NodeAddress dialer, NodeId target, ReadOnlySpan<byte> nonce, DateTimeOffset now,
        SignalEndpoint relay, ReadOnlySpan<byte> token)
    {
        if (dialer.NodeId != identity.NodeId || token.Length != RelayHandshake.TokenSize)
        {
            throw new ArgumentException("A node asks for a relay from its own address, with a token of the right size.");
        }
        var body = new ArrayBufferWriter<byte>(512);
        body.WriteUInt16(checked((ushort)dialer.Record.Length));
        body.WriteBytes(dialer.Record.Span);
        body.WriteByte(checked((byte)relay.Host.Length));
        body.WriteBytes(Encoding.ASCII.GetBytes(relay.Host));
        body.WriteUInt16((ushort)relay.Port);
        body.WriteBytes(token);
        return SignedSignal.Create(identity, Kind, target, nonce, now, body.WrittenSpan);
    }

    /// <summary>Decodes and verifies a request that <paramref name="claimedSource"/> sent to <paramref name="self"/>. Never throws.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, NodeId self, NodeId claimedSource, DateTimeOffset now,
        [NotNullWhen(true)] out RelayRequest? request, out SignalError error)
    {
        request = null;
        error = SignalError.Malformed;
        if (SignedSignal.TryParse(payload, Kind) is not { } envelope)
        {
            return false;
        }
        var reader = new WireReader(envelope.Body.Span);
        if (!reader.TryReadUInt16(out var length) || !reader.TryReadBytes(length, out var record)
            || !reader.TryReadByte(out var hostLength) || !reader.TryReadBytes(hostLength, out var host)
            || !reader.TryReadUInt16(out var port) || port == 0
            || !reader.TryReadBytes(RelayHandshake.TokenSize, out var token) || !reader.IsEmpty
            || !NodeAddress.TryFromRecord(record, out var dialer, out _)
            || dialer.CheckValidity(now) != AddressError.None
            || host.ContainsAnyExceptInRange((byte)0x21, (byte)0x7e)
            || !SignalEndpoint.TryParse($"{Encoding.ASCII.GetString(host)}:{port}", out var relay))
        {
            return false;
        }
        error = dialer.NodeId != claimedSource ? SignalError.BadSignature : envelope.Check(dialer.PublicKey, self, now);
        if (error != SignalError.None)
        {
            return false;
        }
        request = new RelayRequest(envelope, dialer, relay!, token.ToArray());
        return true;
    }
}
