using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Burrow.Addressing;
using Burrow.Codecs;
using Burrow.Identity;

namespace Burrow.Connect.Reverse;

/// <summary>
/// "Please connect to me": a signal payload, signed by the requester's node key, that carries the requester's
/// whole signed address (pure codec and verification). Layout:
/// <c>kind(1)=0x01 · target id(32) · nonce(16) · issued at(8, µs since the epoch) · address length(2) ·
/// address record · signature(64)</c>; the ECDSA P-256 signature (P1363) covers the ASCII context
/// <c>burrow/reverse/v1\0</c> and everything before it. The peer dials only endpoints of that address and
/// requires that key over TLS, so whoever relays the request cannot point it at anyone else.
/// </summary>
public sealed record ReverseRequest(NodeId Target, ReadOnlyMemory<byte> Nonce, DateTimeOffset IssuedAt, NodeAddress Requester)
{
    /// <summary>The first byte of the signal payload: which kind of signal this is.</summary>
    public const byte Kind = 0x01;
    public const int NonceSize = 16;

    /// <summary>How far a request's time may be from the reader's clock (either way).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(2);

    private static readonly byte[] Context = Encoding.ASCII.GetBytes("burrow/reverse/v1\0");

    public static byte[] Create(NodeIdentity identity, NodeAddress requester, NodeId target, ReadOnlySpan<byte> nonce, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(requester);
        if (requester.NodeId != identity.NodeId)
        {
            throw new ArgumentException("A node asks to be connected to at its own address.", nameof(requester));
        }
        if (nonce.Length != NonceSize)
        {
            throw new ArgumentException($"The nonce is {NonceSize} bytes.", nameof(nonce));
        }
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.WriteByte(Kind);
        buffer.WriteBytes(target.Bytes);
        buffer.WriteBytes(nonce);
        BinaryPrimitives.WriteInt64BigEndian(buffer.GetSpan(8), (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond);
        buffer.Advance(8);
        buffer.WriteUInt16(checked((ushort)requester.Record.Length));
        buffer.WriteBytes(requester.Record.Span);
        buffer.WriteBytes(identity.Sign(SignedBytes(buffer.WrittenSpan)));
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Decodes and verifies a request that <paramref name="claimedSource"/> (as the rendezvous says) sent to
    /// <paramref name="self"/>. Never throws.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, NodeId self, NodeId claimedSource, DateTimeOffset now,
        [NotNullWhen(true)] out ReverseRequest? request, out ReverseRequestError error)
    {
        request = null;
        var reader = new WireReader(payload);
        if (!reader.TryReadByte(out var kind) || kind != Kind
            || !reader.TryReadBytes(NodeId.Size, out var target)
            || !reader.TryReadBytes(NonceSize, out var nonce)
            || !reader.TryReadBytes(8, out var issued)
            || !reader.TryReadUInt16(out var length)
            || !reader.TryReadBytes(length, out var record)
            || !reader.TryReadBytes(NodeIdentity.SignatureSize, out var signature)
            || !reader.IsEmpty)
        {
            error = ReverseRequestError.Malformed;
            return false;
        }
        if (!NodeAddress.TryFromRecord(record, out var requester, out _))
        {
            error = ReverseRequestError.BadAddress;
            return false;
        }
        var signed = payload[..^NodeIdentity.SignatureSize];
        var micros = BinaryPrimitives.ReadInt64BigEndian(issued);
        error = !requester.PublicKey.Verify(SignedBytes(signed), signature) ? ReverseRequestError.BadSignature
            : !target.SequenceEqual(self.Bytes) ? ReverseRequestError.WrongTarget
            : requester.NodeId != claimedSource ? ReverseRequestError.WrongSender
            : micros < 0 || micros > TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerMicrosecond / 2 ? ReverseRequestError.Malformed
            : requester.CheckValidity(now) != AddressError.None ? ReverseRequestError.AddressExpired
            : ReverseRequestError.None;
        if (error != ReverseRequestError.None)
        {
            return false;
        }
        var issuedAt = DateTimeOffset.UnixEpoch + TimeSpan.FromMicroseconds(micros);
        if ((now - issuedAt).Duration() > MaxAge)
        {
            error = ReverseRequestError.Stale;
            return false;
        }
        request = new ReverseRequest(self, nonce.ToArray(), issuedAt, requester);
        return true;
    }

    private static byte[] SignedBytes(ReadOnlySpan<byte> unsigned) => [.. Context, .. unsigned];
}

/// <summary>Why a reverse-connect request is refused.</summary>
public enum ReverseRequestError
{
    None,

    /// <summary>Not a reverse request, or its fields are cut or followed by more bytes.</summary>
    Malformed,

    /// <summary>The embedded address does not decode or its own signature does not verify.</summary>
    BadAddress,

    /// <summary>The request is not signed by the key of the address it carries (altered, or the address swapped).</summary>
    BadSignature,

    /// <summary>The request is for another node.</summary>
    WrongTarget,

    /// <summary>The rendezvous says it comes from a node other than the one that signed it.</summary>
    WrongSender,

    /// <summary>The requester's address has expired or is not valid yet.</summary>
    AddressExpired,

    /// <summary>Issued too long ago (or too far in the future): a replay, or a clock far off.</summary>
    Stale,
}
