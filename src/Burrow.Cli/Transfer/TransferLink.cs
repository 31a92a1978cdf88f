using Burrow.Transport;

namespace Burrow.Cli.Transfer;

/// <summary>
/// The connection a transfer runs on. When it is relayed, it may move once to the direct connection that
/// replaces it (<see cref="PeerConnection.UpgradeAsync"/>): the side sending the file bytes moves between two
/// chunks — it half-closes the relayed stream after its last byte there and goes on on the direct one; the
/// receiving side reads the relayed stream to its end and goes on on the direct one. Every byte keeps its
/// order, and nothing is sent on the relay after the move (its byte limit no longer counts).
/// </summary>
internal sealed class TransferLink : IAsyncDisposable
{
    /// <summary>How long the receiver waits for its end of the direct connection once the relayed stream ended.</summary>
    public static readonly TimeSpan FollowTimeout = TimeSpan.FromSeconds(10);

    private readonly PeerConnection _first;
    private readonly Task<PeerConnection?> _upgrade;

    public TransferLink(PeerConnection connection, CancellationToken cancellationToken)
    {
        _first = Current = connection;
        _upgrade = connection.UpgradeAsync(cancellationToken);
    }

    /// <summary>The connection in use: the first one, or the direct one after a move.</summary>
    public PeerConnection Current { get; private set; }

    public Stream Stream => Current.Stream;

    /// <summary>Completes with the direct connection when one is ready to move to, or with null when none will come.</summary>
    public Task<PeerConnection?> Direct => _upgrade;

    /// <summary>Told of the move, with the direct connection.</summary>
    public Action<PeerConnection>? Moved { get; init; }

    /// <summary>The sender, between two chunks: moves now if a direct connection is ready.</summary>
    public async ValueTask MoveIfReadyAsync()
    {
        if (Current != _first || !Direct.IsCompletedSuccessfully || Direct.Result is not { } direct)
        {
            return;
        }
        await _first.CompleteWritesAsync(); // flushes, then close_notify and FIN: the receiver's reads there end
        Move(direct);
    }

    /// <summary>
    /// The receiver, when the stream ended before it should have: true (and moved) if that is because the
    /// sender moved to the direct connection; false if the stream just ended.
    /// </summary>
    public async ValueTask<bool> FollowAsync(CancellationToken cancellationToken)
    {
        if (Current != _first || !_first.IsRelayed)
        {
            return false;
        }
        try
        {
            if (await Direct.WaitAsync(FollowTimeout, cancellationToken) is not { } direct)
            {
                return false;
            }
            Move(direct);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private void Move(PeerConnection direct)
    {
        Current = direct;
        Moved?.Invoke(direct);
    }

    public async ValueTask DisposeAsync()
    {
        await _first.DisposeAsync(); // ends the upgrade wait: Direct completes (null if nothing came)
        // The link took the direct connection as soon as it came (UpgradeAsync hands it over): close it whether
        // the transfer moved to it or finished before it could.
        await ((Task)Direct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // cancelled with the transfer: nothing to close
        if (Direct.IsCompletedSuccessfully && Direct.Result is { } direct)
        {
            await direct.DisposeAsync();
        }
    }
}
