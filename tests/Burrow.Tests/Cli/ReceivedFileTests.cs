using System.Security.Cryptography;
using System.Text;
using Burrow.Cli;
using Burrow.Cli.Commands;
using Burrow.Cli.Transfer;
using Burrow.Transport;

namespace Burrow.Tests.Cli;

/// <summary>
/// What <c>receive</c> leaves on disk: the file under its name only when it was verified and kept (and the
/// sender hears so only then); NAME.part only while it is being written, and never one it did not create.
/// </summary>
public sealed class ReceivedFileTests : IAsyncDisposable
{
    private readonly Owned _owned = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("burrow-received-").FullName;
    private readonly StringWriter _events = new();

    public async ValueTask DisposeAsync()
    {
        await _owned.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private string Inbox(string name) => Path.Combine(_dir, name);

    /// <summary>
    /// Runs <c>receive</c> into the inbox while a sender sends <paramref name="content"/> as f.bin; returns the
    /// receiver's exit code and the sender's failure (null when it heard the file was kept).
    /// </summary>
    private async Task<(int Exit, Exception? SendFailure)> TransferAsync(byte[] content, bool overwrite, CancellationToken ct)
    {
        var (outbound, inbound) = await TransferPeers.DirectAsync(_owned, ct);
        var receiving = TransferSession.ReceiveAsync(inbound, TransferPeers.JsonReporter(_events), _dir, overwrite, new TransferTimeouts(), ct);
        await using var link = new TransferLink(outbound, ct);
        var sending = FileTransfer.SendAsync(link, new FileOffer("f.bin", content.Length), new MemoryStream(content), new Progress<long>(), new TransferTimeouts(), ct);
        var exit = await receiving;
        return (exit, await Record.ExceptionAsync(() => sending));
    }

    /// <summary>
    /// Runs <c>receive</c> into the inbox against a sender played by hand: it offers <paramref name="content"/> as
    /// f.bin, lets <paramref name="meanwhile"/> run, then sends the bytes and <paramref name="checksum"/>. Returns
    /// the verdict it gets and the receiver's exit code.
    /// </summary>
    private async Task<(string Verdict, int Exit)> SendByHandAsync(byte[] content, byte[] checksum, Func<Task> meanwhile, CancellationToken ct)
    {
        var (outbound, inbound) = await TransferPeers.DirectAsync(_owned, ct);
        var receiving = TransferSession.ReceiveAsync(inbound, TransferPeers.JsonReporter(_events), _dir, overwrite: false, new TransferTimeouts(), ct);
        var messages = new MessageStream(outbound.Stream);
        await messages.WriteAsync(new FileOffer("f.bin", content.Length).Encode(), ct);
        await meanwhile();
        await outbound.Stream.WriteAsync(content, ct);
        await messages.WriteAsync(checksum, ct);
        var verdict = Encoding.UTF8.GetString(await messages.ReadAsync(ct) ?? []);
        return (verdict, await receiving);
    }

    /// <summary>The receiver failed with <c>transfer_failed</c>, and the sender did not hear of success.</summary>
    private void AssertFailedAtBothEnds((int Exit, Exception? SendFailure) outcome)
    {
        Assert.Equal(ExitCodes.ConnectionFailed, outcome.Exit);
        Assert.NotNull(outcome.SendFailure);
        Assert.Equal("transfer_failed", TransferPeers.ErrorCode(_events));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_verified_file_is_kept_under_its_name_and_nothing_else_is_left()
    {
        var ct = TestContext.Current.CancellationToken;
        var content = RandomNumberGenerator.GetBytes(300_000);

        var (exit, sendFailure) = await TransferAsync(content, overwrite: false, ct);
        Assert.Null(sendFailure);
        Assert.Equal(ExitCodes.Success, exit);
        Assert.Equal(content, await File.ReadAllBytesAsync(Inbox("f.bin"), ct));
        Assert.Equal(["f.bin"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_target_created_while_the_file_arrived_is_not_replaced_and_the_sender_hears_the_file_was_not_kept()
    {
        var ct = TestContext.Current.CancellationToken;
        var content = RandomNumberGenerator.GetBytes(4096);

        var (verdict, exit) = await SendByHandAsync(content, SHA256.HashData(content), async () =>
        {
            await Eventually.HoldsAsync(() => File.Exists(Inbox("f.bin.part")), ct);
            await File.WriteAllTextAsync(Inbox("f.bin"), "someone else's", ct);
        }, ct);
        Assert.Contains("\"ok\":false", verdict, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.ConnectionFailed, exit);
        Assert.Equal("transfer_failed", TransferPeers.ErrorCode(_events));
        Assert.Equal("someone else's", await File.ReadAllTextAsync(Inbox("f.bin"), ct));
        Assert.False(File.Exists(Inbox("f.bin.part")));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_folder_in_the_way_fails_the_transfer_at_both_ends()
    {
        var ct = TestContext.Current.CancellationToken;
        Directory.CreateDirectory(Inbox("f.bin"));

        AssertFailedAtBothEnds(await TransferAsync(RandomNumberGenerator.GetBytes(4096), overwrite: true, ct));
        Assert.True(Directory.Exists(Inbox("f.bin")));
        Assert.Equal(["f.bin"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
    }

    [Fact(Timeout = 30_000)]
    public async Task An_existing_part_file_is_neither_overwritten_nor_deleted()
    {
        var ct = TestContext.Current.CancellationToken;
        await File.WriteAllTextAsync(Inbox("f.bin.part"), "another transfer's", ct);

        AssertFailedAtBothEnds(await TransferAsync(RandomNumberGenerator.GetBytes(4096), overwrite: false, ct));
        Assert.Equal("another transfer's", await File.ReadAllTextAsync(Inbox("f.bin.part"), ct));
        Assert.False(File.Exists(Inbox("f.bin")));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_part_file_that_is_a_symlink_is_not_written_through()
    {
        var ct = TestContext.Current.CancellationToken;
        var elsewhere = Path.Combine(Directory.CreateDirectory(Inbox("elsewhere")).FullName, "precious");
        await File.WriteAllTextAsync(elsewhere, "precious", ct);
        File.CreateSymbolicLink(Inbox("f.bin.part"), elsewhere);

        AssertFailedAtBothEnds(await TransferAsync(RandomNumberGenerator.GetBytes(4096), overwrite: false, ct));
        Assert.Equal("precious", await File.ReadAllTextAsync(elsewhere, ct));
        Assert.Equal(elsewhere, new FileInfo(Inbox("f.bin.part")).LinkTarget);
        Assert.False(File.Exists(Inbox("f.bin")));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_file_that_fails_its_checksum_is_not_kept_and_its_part_file_is_removed()
    {
        var ct = TestContext.Current.CancellationToken;

        var (verdict, exit) = await SendByHandAsync(RandomNumberGenerator.GetBytes(4096), new byte[32], () => Task.CompletedTask, ct);
        Assert.Contains("\"ok\":false", verdict, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.ConnectionFailed, exit);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }
}
