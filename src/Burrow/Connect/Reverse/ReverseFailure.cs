using System.Diagnostics.CodeAnalysis;

namespace Burrow.Connect.Reverse;

/// <summary>
/// The peer's answer to a verified reverse-connect request it could not carry out, so the requester fails at
/// once instead of at its timeout (pure codec): <c>kind(1)=0x02 · nonce(16) · reason(1)</c>. Unsigned: the
/// nonce ties it to the request, and a rendezvous able to forge it could as well drop the request.
/// </summary>
public sealed record ReverseFailure(ReadOnlyMemory<byte> Nonce, ReverseFailureReason Reason)
{
    public const byte Kind = 0x02;
    private const int Size = 1 + ReverseRequest.NonceSize + 1;

    public byte[] Encode()
    {
        var bytes = new byte[Size];
        bytes[0] = Kind;
        Nonce.Span.CopyTo(bytes.AsSpan(1, ReverseRequest.NonceSize));
        bytes[^1] = (byte)Reason;
        return bytes;
    }

    public static bool TryRead(ReadOnlySpan<byte> payload, [NotNullWhen(true)] out ReverseFailure? failure)
    {
        failure = payload.Length == Size && payload[0] == Kind && Enum.IsDefined((ReverseFailureReason)payload[^1])
            ? new ReverseFailure(payload.Slice(1, ReverseRequest.NonceSize).ToArray(), (ReverseFailureReason)payload[^1])
            : null;
        return failure is not null;
    }

    public string Describe() => Reason switch
    {
        ReverseFailureReason.Unreachable => "the peer could not connect back to any endpoint of this node's address",
        _ => "the peer is busy with other reverse connects",
    };
}

public enum ReverseFailureReason : byte
{
    /// <summary>No endpoint of the requester's address answered as the requester.</summary>
    Unreachable = 1,

    /// <summary>Too many reverse connects at once.</summary>
    Busy = 2,
}
