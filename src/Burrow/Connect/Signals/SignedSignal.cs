using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Burrow.Codecs;
using Burrow.Identity;

namespace Burrow.Connect.Signals;

/// <summary>Why a signal is refused.</summary>
public enum SignalError
{
    None,

    /// <summary>Not a signal of the expected kind, or its fields are cut or followed by more bytes.</summary>
    Malformed,

    /// <summary>Not signed by the key it must be signed by (altered in transit, or swapped).</summary>
    BadSignature,

    /// <summary>Addressed to another node.</summary>
    WrongTarget,

    /// <summary>Issued too long ago or too far in the future: a replay, or a clock far off.</summary>
    Stale,
}

/// <summary>
/// The envelope of every signal one node sends another through a rendezvous (pure codec). Layout:
/// <c>kind(1) · target id(32) · nonce(16) · issued at(8, µs since the epoch, big-endian) · body length(2) · body ·
/// signature(64)</c>. The ECDSA P-256 signature (IEEE P1363) covers the ASCII context <c>burrow/signal/v1\0</c>
/// and every byte before it, so the rendezvous can drop or delay a signal but never alter, redirect or forge it.
/// Kinds: 0x01 reverse-connect request and 0x02 its failure (their own layouts), 0x03 punch offer, 0x04 punch
/// answer, 0x05 relay request.
/// </summary>
public sealed record SignedSignal(byte Kind, NodeId Target, ReadOnlyMemory<byte> Nonce, DateTimeOffset IssuedAt, ReadOnlyMemory<byte> Body)
{
    public const int NonceSize = 16;
    public const int MaxBodySize = ushort.MaxValue;

    /// <summary>How far a signal's time may be from the reader's clock (either way).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(2);

    private static readonly byte[] Context = Encoding.ASCII.GetBytes("burrow/signal/v1\0");

    private ReadOnlyMemory<byte> Signed { get; init; }

    private ReadOnlyMemory<byte> Signature { get; init; }

    public static byte[] Create(NodeIdentity signer, byte kind, NodeId target, ReadOnlySpan<byte> nonce, DateTimeOffset now, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(signer);
        if (nonce.Length != NonceSize)
        {
            throw new ArgumentException($"The nonce is {NonceSize} bytes.", nameof(nonce));
        }
        if (body.Length > MaxBodySize)
        {
            throw new ArgumentException($"A signal body is at most {MaxBodySize} bytes.", nameof(body));
        }
        var buffer = new ArrayBufferWriter<byte>(128 + body.Length);
        buffer.WriteByte(kind);
        buffer.WriteBytes(target.Bytes);
        buffer.WriteBytes(nonce);
        BinaryPrimitives.WriteInt64BigEndian(buffer.GetSpan(8), (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond);
        buffer.Advance(8);
        buffer.WriteUInt16((ushort)body.Length);
        buffer.WriteBytes(body);
        buffer.WriteBytes(signer.Sign([.. Context, .. buffer.WrittenSpan]));
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The first byte of a payload: which kind of signal it is (0 when empty).</summary>
    public static byte KindOf(ReadOnlySpan<byte> payload) => payload.IsEmpty ? (byte)0 : payload[0];

    /// <summary>Decodes the envelope of a signal of <paramref name="kind"/> (its signature is checked by <see cref="Check"/>). Never throws.</summary>
    public static SignedSignal? TryParse(ReadOnlySpan<byte> payload, byte kind)
    {
        var reader = new WireReader(payload);
        if (!reader.TryReadByte(out var k) || k != kind
            || !reader.TryReadBytes(NodeId.Size, out var target)
            || !reader.TryReadBytes(NonceSize, out var nonce)
            || !reader.TryReadBytes(8, out var issued)
            || !reader.TryReadUInt16(out var length)
            || !reader.TryReadBytes(length, out var body)
            || !reader.TryReadBytes(NodeIdentity.SignatureSize, out var signature)
            || !reader.IsEmpty)
        {
            return null;
        }
        var micros = BinaryPrimitives.ReadInt64BigEndian(issued);
        if (micros < 0 || micros > TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerMicrosecond / 2)
        {
            return null;
        }
        return new SignedSignal(kind, NodeId.FromBytes(target), nonce.ToArray(), DateTimeOffset.UnixEpoch + TimeSpan.FromMicroseconds(micros), body.ToArray())
        {
            Signed = payload[..^NodeIdentity.SignatureSize].ToArray(),
            Signature = signature.ToArray(),
        };
    }

    /// <summary>Whether <paramref name="signer"/> signed it, for <paramref name="self"/>, recently enough.</summary>
    public SignalError Check(NodePublicKey signer, NodeId self, DateTimeOffset now) =>
        !signer.Verify([.. Context, .. Signed.Span], Signature.Span) ? SignalError.BadSignature
        : Target != self ? SignalError.WrongTarget
        : (now - IssuedAt).Duration() > MaxAge ? SignalError.Stale
        : SignalError.None;
}
