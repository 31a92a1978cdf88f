using System.Buffers.Binary;

namespace Burrow.Transport;

/// <summary>The 4-byte big-endian length that precedes each message (pure codec).</summary>
public static class FrameHeader
{
    public const int Size = 4;

    /// <summary>Default message size cap: 1 MiB.</summary>
    public const int DefaultMaxMessageSize = 1 << 20;

    public static void Write(Span<byte> destination, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)length);
    }

    /// <summary>The announced length; a value above <paramref name="maxMessageSize"/> is refused before anything is allocated.</summary>
    public static bool TryRead(ReadOnlySpan<byte> header, int maxMessageSize, out int length)
    {
        var announced = BinaryPrimitives.ReadUInt32BigEndian(header);
        length = announced <= (uint)maxMessageSize ? (int)announced : -1;
        return length >= 0;
    }
}
