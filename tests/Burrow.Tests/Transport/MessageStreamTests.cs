using Burrow.Transport;

namespace Burrow.Tests.Transport;

public class MessageStreamTests
{
    [Fact]
    public async Task Messages_of_any_length_up_to_the_cap_round_trip()
    {
        var ct = TestContext.Current.CancellationToken;
        var pipe = new MemoryStream();
        var writer = new MessageStream(pipe, 4 << 20);
        byte[][] messages = [[], [1], new byte[65_537], [.. Enumerable.Range(0, 3_000_000).Select(i => (byte)i)]];
        foreach (var m in messages)
        {
            await writer.WriteAsync(m, ct);
        }
        pipe.Position = 0;
        var reader = new MessageStream(pipe, 4 << 20);
        foreach (var m in messages)
        {
            Assert.Equal(m, await reader.ReadAsync(ct));
        }
        Assert.Null(await reader.ReadAsync(ct)); // clean end between messages
    }

    [Fact]
    public void Header_is_four_bytes_big_endian()
    {
        var header = new byte[4];
        FrameHeader.Write(header, 0x01020304);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, header);
        Assert.True(FrameHeader.TryRead(header, int.MaxValue, out var length));
        Assert.Equal(0x01020304, length);
        Assert.False(FrameHeader.TryRead(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, int.MaxValue, out _));
    }

    [Fact]
    public async Task An_oversized_announcement_is_refused_before_allocating()
    {
        var ct = TestContext.Current.CancellationToken;
        var reader = new MessageStream(new MemoryStream([0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3]), 1024);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = await Assert.ThrowsAsync<ProtocolViolationException>(async () => await reader.ReadAsync(ct));
        Assert.Equal("frame_too_large", error.Code);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0 })]
    [InlineData(new byte[] { 0, 0, 0, 5, 1, 2 })]
    public async Task A_stream_ending_inside_a_message_is_a_typed_error(byte[] data)
    {
        var reader = new MessageStream(new MemoryStream(data));
        var error = await Assert.ThrowsAsync<ProtocolViolationException>(async () => await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.Equal("truncated_frame", error.Code);
    }

    [Fact]
    public async Task Writing_more_than_the_cap_is_refused()
    {
        var writer = new MessageStream(new MemoryStream(), 10);
        await Assert.ThrowsAsync<ArgumentException>(async () => await writer.WriteAsync(new byte[11], TestContext.Current.CancellationToken));
    }
}
