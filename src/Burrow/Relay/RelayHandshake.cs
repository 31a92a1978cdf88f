using System.Buffers.Binary;

namespace Burrow.Relay;

/// <summary>What the relay says when it answers a bind.</summary>
public enum RelayStatus : byte
{
    /// <summary>The other side arrived: from now on the socket carries the peer's bytes.</summary>
    Paired = 0,
    /// <summary>Nobody else bound the token within the pairing time.</summary>
    NoPeer = 1,
    /// <summary>The relay is at its session limit.</summary>
    Full = 2,
    /// <summary>The bind was not understood.</summary>
    BadRequest = 3,
}

/// <summary>The limits a relay puts on one session, which the application can see.</summary>
/// <param name="MaxBytes">Bytes the relay carries in each direction before it ends the session.</param>
/// <param name="MaxDuration">How long the session may last (whole seconds); <see cref="Timeout.InfiniteTimeSpan"/>: no such limit.</param>
public readonly record struct RelayLimits(long MaxBytes, TimeSpan MaxDuration)
{
    /// <summary>
    /// How long the session may carry no byte in either direction before the relay ends it (whole seconds);
    /// <see cref="Timeout.InfiniteTimeSpan"/>: no such limit. An application that may fall silent that long on
    /// a relayed connection sends something of its own (the peers' connection has no keep-alive).
    /// </summary>
    public TimeSpan MaxIdle { get; init; } = Timeout.InfiniteTimeSpan;
}

/// <summary>
/// The relay's two fixed-size messages (pure codec). A client opens TCP to the relay and sends a bind:
/// <c>"BRLY"(4) · version(1)=1 · token(32)</c>; two clients that send the same token are paired. The relay answers
/// each with <c>status(1) · max bytes(8, big-endian) · max seconds(4, all ones: none) · max idle seconds(4, all ones: none)</c>
/// and then splices their sockets. The peers
/// run their own authenticated TLS through it: the relay sees only ciphertext.
/// </summary>
public static class RelayHandshake
{
    public const int TokenSize = 32;
    public const int BindSize = 4 + 1 + TokenSize;
    public const int ReplySize = 1 + 8 + 4 + 4;
    public const byte Version = 2;
    private const uint NoLimit = uint.MaxValue;

    private static ReadOnlySpan<byte> Magic => "BRLY"u8;

    public static byte[] EncodeBind(ReadOnlySpan<byte> token)
    {
        if (token.Length != TokenSize)
        {
            throw new ArgumentException($"A relay token is {TokenSize} bytes.", nameof(token));
        }
        var bind = new byte[BindSize];
        Magic.CopyTo(bind);
        bind[4] = Version;
        token.CopyTo(bind.AsSpan(5));
        return bind;
    }

    /// <summary>The token of a well-formed bind, or null (wrong magic or version, or wrong size).</summary>
    public static byte[]? TryDecodeBind(ReadOnlySpan<byte> bind) =>
        bind.Length == BindSize && bind[..4].SequenceEqual(Magic) && bind[4] == Version ? bind[5..].ToArray() : null;

    public static byte[] EncodeReply(RelayStatus status, RelayLimits limits)
    {
        var reply = new byte[ReplySize];
        reply[0] = (byte)status;
        BinaryPrimitives.WriteInt64BigEndian(reply.AsSpan(1), limits.MaxBytes);
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(9), Seconds(limits.MaxDuration));
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(13), Seconds(limits.MaxIdle));
        return reply;
    }

    /// <summary>The status and limits of a reply, or null when it is not one.</summary>
    public static (RelayStatus Status, RelayLimits Limits)? TryDecodeReply(ReadOnlySpan<byte> reply)
    {
        if (reply.Length != ReplySize || reply[0] > (byte)RelayStatus.BadRequest)
        {
            return null;
        }
        var maxBytes = BinaryPrimitives.ReadInt64BigEndian(reply[1..]);
        return maxBytes < 0 ? null
            : ((RelayStatus)reply[0], new RelayLimits(maxBytes, Duration(BinaryPrimitives.ReadUInt32BigEndian(reply[9..])))
            {
                MaxIdle = Duration(BinaryPrimitives.ReadUInt32BigEndian(reply[13..])),
            });
    }

    /// <summary>A limit in whole seconds, rounded down (a session shorter than a second is said to last none); all ones: no limit.</summary>
    private static uint Seconds(TimeSpan limit) =>
        limit == Timeout.InfiniteTimeSpan ? NoLimit : (uint)Math.Clamp(Math.Floor(limit.TotalSeconds), 0, NoLimit - 1);

    private static TimeSpan Duration(uint seconds) => seconds == NoLimit ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seconds);
}
