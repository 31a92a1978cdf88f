using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using Burrow.Addressing;
using Burrow.Codecs;
using Burrow.Connect.Signals;
using Burrow.Identity;

namespace Burrow.Connect.Punch;

/// <summary>
/// "Let us punch": the dialer's first signal (kind 0x03, a <see cref="SignedSignal"/>). Its body carries the
/// dialer's whole signed address (so the peer learns and checks its key), the dialer's round-trip time to the
/// rendezvous (for choosing the instant) and the endpoints its punch will come from:
/// <c>address length(2) · address record · rtt(4, µs) · endpoints (see <see cref="EndpointList"/>)</c>.
/// </summary>
public sealed record PunchOffer(SignedSignal Envelope, NodeAddress Dialer, TimeSpan RoundTrip, IReadOnlyList<IPEndPoint> Candidates)
{
    public const byte Kind = 0x03;

    public static byte[] Create(NodeIdentity identity, NodeAddress dialer, NodeId target, ReadOnlySpan<byte> nonce, DateTimeOffset now,
        TimeSpan roundTrip, IReadOnlyList<IPEndPoint> candidates)
    {
        if (dialer.NodeId != identity.NodeId)
        {
            throw new ArgumentException("A node offers a punch from its own address.", nameof(dialer));
        }
        var body = new ArrayBufferWriter<byte>(256);
        body.WriteUInt16(checked((ushort)dialer.Record.Length));
        body.WriteBytes(dialer.Record.Span);
        BinaryPrimitives.WriteUInt32BigEndian(body.GetSpan(4), (uint)Math.Clamp(roundTrip.TotalMicroseconds, 0, uint.MaxValue));
        body.Advance(4);
        EndpointList.Write(body, candidates);
        return SignedSignal.Create(identity, Kind, target, nonce, now, body.WrittenSpan);
    }

    /// <summary>
    /// Decodes and verifies an offer that <paramref name="claimedSource"/> (as the rendezvous says) sent to
    /// <paramref name="self"/>: signed by the key of the address inside, from that node, recent. Never throws.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, NodeId self, NodeId claimedSource, DateTimeOffset now,
        [NotNullWhen(true)] out PunchOffer? offer, out SignalError error)
    {
        offer = null;
        error = SignalError.Malformed;
        if (SignedSignal.TryParse(payload, Kind) is not { } envelope)
        {
            return false;
        }
        var reader = new WireReader(envelope.Body.Span);
        if (!reader.TryReadUInt16(out var length) || !reader.TryReadBytes(length, out var record)
            || !reader.TryReadBytes(4, out var rtt)
            || EndpointList.TryRead(ref reader) is not { } candidates || !reader.IsEmpty
            || !NodeAddress.TryFromRecord(record, out var dialer, out _)
            || dialer.CheckValidity(now) != AddressError.None)
        {
            return false;
        }
        error = dialer.NodeId != claimedSource ? SignalError.BadSignature : envelope.Check(dialer.PublicKey, self, now);
        if (error != SignalError.None)
        {
            return false;
        }
        offer = new PunchOffer(envelope, dialer, TimeSpan.FromMicroseconds(BinaryPrimitives.ReadUInt32BigEndian(rtt)), candidates);
        return true;
    }
}
