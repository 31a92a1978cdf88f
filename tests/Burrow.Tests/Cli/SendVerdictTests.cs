using System.Security.Cryptography;
using System.Text;
using Burrow.Cli;
using Burrow.Cli.Commands;
using Burrow.Cli.Transfer;
using Burrow.Transport;

namespace Burrow.Tests.Cli;

/// <summary>The sender reads the receiver's verdict as untrusted input: anything but a valid one is a transfer failure, not a crash.</summary>
public sealed class SendVerdictTests : IAsyncDisposable
{
    private readonly Owned _owned = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("burrow-verdict-").FullName;

    public async ValueTask DisposeAsync()
    {
        await _owned.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("{}")]
    [InlineData("""{"ok":"yes"}""")]
    [InlineData("""{"ok":1,"reason":"x"}""")]
    [InlineData("""{"ok":false,"reason":5}""")]
    [InlineData("[]")]
    [InlineData("not json")]
    public async Task A_malformed_verdict_is_reported_as_transfer_failed(string verdict)
    {
        var ct = TestContext.Current.CancellationToken;
        var (outbound, inbound) = await TransferPeers.DirectAsync(_owned, ct);
        var content = RandomNumberGenerator.GetBytes(4096);
        var path = Path.Combine(_dir, "f.bin");
        await File.WriteAllBytesAsync(path, content, ct);
        var events = new StringWriter();

        var sending = TransferSession.SendAsync(outbound, TransferPeers.JsonReporter(events), path, new TransferTimeouts(), ct);
        var messages = new MessageStream(inbound.Stream);
        Assert.NotNull(await messages.ReadAsync(ct)); // the offer
        await inbound.Stream.ReadExactlyAsync(new byte[content.Length], ct);
        Assert.Equal(SHA256.HashData(content), await messages.ReadAsync(ct));
        await messages.WriteAsync(Encoding.UTF8.GetBytes(verdict), ct);

        Assert.Equal(ExitCodes.ConnectionFailed, await sending);
        Assert.Equal("transfer_failed", TransferPeers.ErrorCode(events));
    }
}
