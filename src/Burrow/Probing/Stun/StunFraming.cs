using System.Net.Sockets;

namespace Burrow.Probing.Stun;

/// <summary>STUN over a stream (RFC 8489 §6.2.2): messages back to back, each delimited by its header's length.</summary>
internal static class StunFraming
{
    /// <summary>
    /// Reads one message. <see langword="null"/> at a clean end of stream before any byte; a truncated or
    /// malformed message is a <see cref="StunFormatException"/>.
    /// </summary>
    public static async Task<StunMessage?> ReadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var header = new byte[Stun.StunAttribute.HeaderLength];
        var read = await stream.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken);
        if (read == 0)
        {
            return null;
        }
        if (read < header.Length)
        {
            throw new StunFormatException(StunDecodeError.TooShort);
        }
        if (!StunCodec.TryGetFrameLength(header, out var length, out var error))
        {
            throw new StunFormatException(error);
        }
        if (length > StunCodec.MaxMessageLength)
        {
            throw new StunFormatException(StunDecodeError.BadLength);
        }
        var message = new byte[length];
        header.CopyTo(message, 0);
        if (await stream.ReadAtLeastAsync(message.AsMemory(header.Length), length - header.Length, throwOnEndOfStream: false, cancellationToken) < length - header.Length)
        {
            throw new StunFormatException(StunDecodeError.BadLength);
        }
        return StunCodec.Decode(message);
    }
}
