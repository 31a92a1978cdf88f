using System.Security.Cryptography;
using Burrow.Cli.Transfer;
using Burrow.Connect;
using Burrow.Tests.Connect;
using Burrow.Transport;

namespace Burrow.Tests.Cli;

/// <summary>A file transfer that starts relayed moves to the direct connection that replaces the relay, mid-file, losing nothing.</summary>
[Collection(typeof(PunchCollection))]
public sealed class TransferUpgradeTests : IAsyncDisposable
{
    private readonly Owned _owned = new();

    public ValueTask DisposeAsync() => _owned.DisposeAsync();

    private Task<(PeerConnection Sender, PeerConnection Receiver)> RelayedPairAsync(ConnectOptions connect, CancellationToken ct) =>
        TransferPeers.RelayedAsync(_owned, connect, null, ct);

    [Fact(Timeout = 60_000)]
    public async Task A_relayed_transfer_moves_to_the_direct_connection_between_two_chunks_and_the_file_arrives_whole()
    {
        var ct = TestContext.Current.CancellationToken;
        var (relayed, relayedIn) = await RelayedPairAsync(new ConnectOptions { UpgradeAfter = [TimeSpan.FromMilliseconds(50)] }, ct);
        var content = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 11);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var moves = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var senderLink = new TransferLink(relayed, ct) { Moved = d => moves.Enqueue("sender:" + d.Strategy) };
        await using var receiverLink = new TransferLink(relayedIn, ct) { Moved = d => moves.Enqueue("receiver:" + d.Strategy) };
        var received = new MemoryStream();
        var receiving = FileTransfer.ReceiveAsync(receiverLink, _ => received, () => { }, new Progress<long>(), new TransferTimeouts(), ct);
        // The first half goes over the relay; the rest waits until the direct connection is ready.
        var sending = FileTransfer.SendAsync(senderLink, new FileOffer("f.bin", content.Length), new HeldStream(content, content.Length / 2, gate.Task),
            new Progress<long>(), new TransferTimeouts(), ct);
        Assert.NotNull(await senderLink.Direct.WaitAsync(TimeSpan.FromSeconds(20), ct));
        gate.SetResult();
        var digest = await sending;
        var (offer, sha) = await receiving;
        Assert.Equal(SHA256.HashData(content), digest);
        Assert.Equal(digest, sha);
        Assert.Equal(content.Length, offer.Size);
        Assert.Equal(content, received.ToArray());
        Assert.Equal(["receiver:punch", "sender:punch"], moves.Order());
        Assert.False(senderLink.Current.IsRelayed || receiverLink.Current.IsRelayed);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_direct_connection_that_came_after_the_transfer_is_closed_with_the_link()
    {
        var ct = TestContext.Current.CancellationToken;
        var (relayed, relayedIn) = await RelayedPairAsync(new ConnectOptions { UpgradeAfter = [TimeSpan.FromMilliseconds(50)] }, ct);
        var senderLink = new TransferLink(relayed, ct);
        var receiverLink = new TransferLink(relayedIn, ct);
        var direct = await senderLink.Direct.WaitAsync(TimeSpan.FromSeconds(20), ct) ?? throw new Xunit.Sdk.XunitException("no direct connection");
        var directIn = await receiverLink.Direct.WaitAsync(TimeSpan.FromSeconds(20), ct) ?? throw new Xunit.Sdk.XunitException("no direct connection");
        // Nothing was moved (no transfer ran): disposing the links closes the direct connections they took.
        await senderLink.DisposeAsync();
        await receiverLink.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => direct.Stream.Write([1]));
        Assert.Throws<ObjectDisposedException>(() => directIn.Stream.Write([1]));
    }

    [Fact(Timeout = 60_000)]
    public async Task Without_an_upgrade_a_relayed_transfer_stays_on_the_relay()
    {
        var ct = TestContext.Current.CancellationToken;
        var (relayed, relayedIn) = await RelayedPairAsync(new ConnectOptions { UpgradeAfter = [] }, ct);
        var content = RandomNumberGenerator.GetBytes(512 * 1024);
        var moved = false;
        await using var senderLink = new TransferLink(relayed, ct) { Moved = _ => moved = true };
        await using var receiverLink = new TransferLink(relayedIn, ct) { Moved = _ => moved = true };
        var received = new MemoryStream();
        var receiving = FileTransfer.ReceiveAsync(receiverLink, _ => received, () => { }, new Progress<long>(), new TransferTimeouts(), ct);
        await FileTransfer.SendAsync(senderLink, new FileOffer("f.bin", content.Length), new MemoryStream(content), new Progress<long>(), new TransferTimeouts(), ct);
        await receiving;
        Assert.Equal(content, received.ToArray());
        Assert.False(moved);
        Assert.True(senderLink.Current.IsRelayed);
    }

    /// <summary>Reads like a file, but holds back everything past <paramref name="holdAt"/> until <paramref name="gate"/> completes.</summary>
    private sealed class HeldStream(byte[] content, int holdAt, Task gate) : FakeFile(content)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position >= holdAt)
            {
                await gate.WaitAsync(cancellationToken);
            }
            return Take(buffer, Position < holdAt ? holdAt : Length);
        }
    }
}
