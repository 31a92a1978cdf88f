namespace Burrow.Tests.Cli;

/// <summary>A file for a transfer to send, read asynchronously; a subclass says when each read may go on and how much it gives.</summary>
internal abstract class FakeFile(byte[] content) : Stream
{
    private int _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => content.Length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    /// <summary>Gives the next bytes into <paramref name="buffer"/>, none past <paramref name="limit"/>; returns how many.</summary>
    protected int Take(Memory<byte> buffer, long limit)
    {
        var n = (int)Math.Min(buffer.Length, limit - _position);
        content.AsMemory(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
