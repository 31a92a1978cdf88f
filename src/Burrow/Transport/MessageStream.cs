using System.Buffers;

namespace Burrow.Transport;

/// <summary>
/// Length-prefixed messages over a byte stream, each at most <see cref="MaxMessageSize"/> bytes. Any message
/// length works, up to the cap (Pyp2p's line protocol broke on long ones); a larger announcement is a
/// <see cref="ProtocolViolationException"/> raised before allocating. Not thread-safe: one reader and one writer.
/// </summary>
public sealed class MessageStream(Stream stream, int maxMessageSize = FrameHeader.DefaultMaxMessageSize)
{
    private readonly byte[] _header = new byte[FrameHeader.Size];

    public int MaxMessageSize { get; } = maxMessageSize > 0 ? maxMessageSize : throw new ArgumentOutOfRangeException(nameof(maxMessageSize));

    public Stream Stream { get; } = stream;

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (message.Length > MaxMessageSize)
        {
            throw new ArgumentException($"The message is {message.Length} bytes; the cap is {MaxMessageSize}.", nameof(message));
        }
        var frame = ArrayPool<byte>.Shared.Rent(FrameHeader.Size + message.Length);
        try
        {
            FrameHeader.Write(frame, message.Length);
            message.Span.CopyTo(frame.AsSpan(FrameHeader.Size));
            await Stream.WriteAsync(frame.AsMemory(0, FrameHeader.Size + message.Length), cancellationToken).ConfigureAwait(false);
            await Stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>The next message, or null when the stream ended cleanly between messages.</summary>
    public async ValueTask<byte[]?> ReadAsync(CancellationToken cancellationToken)
    {
        var got = await Stream.ReadAtLeastAsync(_header, FrameHeader.Size, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (got == 0)
        {
            return null;
        }
        if (got < FrameHeader.Size)
        {
            throw new ProtocolViolationException("truncated_frame", "The stream ended inside a message header.");
        }
        if (!FrameHeader.TryRead(_header, MaxMessageSize, out var length))
        {
            throw new ProtocolViolationException("frame_too_large", $"The peer announced a message larger than the {MaxMessageSize}-byte cap.");
        }
        var message = new byte[length];
        if (await Stream.ReadAtLeastAsync(message, length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < length)
        {
            throw new ProtocolViolationException("truncated_frame", $"The stream ended inside a {length}-byte message.");
        }
        return message;
    }
}
