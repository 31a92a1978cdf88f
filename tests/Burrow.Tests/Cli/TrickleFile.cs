namespace Burrow.Tests.Cli;

/// <summary>A slow file: each read gives at most <paramref name="chunk"/> bytes, after <paramref name="pause"/>.</summary>
internal sealed class TrickleFile(byte[] content, int chunk, TimeSpan pause) : FakeFile(content)
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await Task.Delay(pause, cancellationToken);
        return Take(buffer[..Math.Min(buffer.Length, chunk)], Length);
    }
}
