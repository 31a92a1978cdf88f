using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using Burrow.Codecs;
using Burrow.Connect.Signals;
using Burrow.Identity;

namespace Burrow.Connect.Punch;

/// <summary>
/// The peer's reply to a <see cref="PunchOffer"/> (kind 0x04, a <see cref="SignedSignal"/> with the offer's nonce):
/// the endpoints its punch will come from and the instant both fire, in the rendezvous server's clock:
/// <c>endpoints (see <see cref="EndpointList"/>) · instant(8, µs since the epoch)</c>. The dialer checks it with the
/// key of the address it dialed, so a rendezvous cannot answer in the peer's name.
/// </summary>
public sealed record PunchAnswer(SignedSignal Envelope, IReadOnlyList<IPEndPoint> Candidates, DateTimeOffset Instant)
{
    public const byte Kind = 0x04;

    public static byte[] Create(NodeIdentity identity, NodeId dialer, ReadOnlySpan<byte> offerNonce, DateTimeOffset now,
        IReadOnlyList<IPEndPoint> candidates, DateTimeOffset instant)
    {
        var body = new ArrayBufferWriter<byte>(128);
        EndpointList.Write(body, candidates);
        BinaryPrimitives.WriteInt64BigEndian(body.GetSpan(8), (instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond);
        body.Advance(8);
        return SignedSignal.Create(identity, Kind, dialer, offerNonce, now, body.WrittenSpan);
    }

    /// <summary>Decodes and verifies an answer from <paramref name="peer"/> to <paramref name="self"/>'s offer with <paramref name="nonce"/>. Never throws.</summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, NodePublicKey peer, NodeId self, ReadOnlySpan<byte> nonce, DateTimeOffset now,
        [NotNullWhen(true)] out PunchAnswer? answer, out SignalError error)
    {
        answer = null;
        error = SignalError.Malformed;
        if (SignedSignal.TryParse(payload, Kind) is not { } envelope)
        {
            return false;
        }
        var reader = new WireReader(envelope.Body.Span);
        if (EndpointList.TryRead(ref reader) is not { } candidates || !reader.TryReadBytes(8, out var instant) || !reader.IsEmpty)
        {
            return false;
        }
        var micros = BinaryPrimitives.ReadInt64BigEndian(instant);
        if (micros < 0 || micros > TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerMicrosecond / 2)
        {
            return false;
        }
        error = envelope.Check(peer, self, now);
        if (error == SignalError.None && !envelope.Nonce.Span.SequenceEqual(nonce))
        {
            error = SignalError.WrongTarget; // an answer to another offer
        }
        if (error != SignalError.None)
        {
            return false;
        }
        answer = new PunchAnswer(envelope, candidates, DateTimeOffset.UnixEpoch + TimeSpan.FromMicroseconds(micros));
        return true;
    }
}
