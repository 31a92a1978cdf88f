using Burrow.Transport;

namespace Burrow.Cli.Transfer;

/// <summary>
/// The connection a transfer runs on. When it is relayed, it may move once to the direct connection that
/// replaces it (<see cref="PeerConnection.UpgradeAsync"/>): the side sending the file bytes moves between two
/// chunks — it half-closes the relayed stream after its last byte there and goes on on the direct one; the
/// receiving side reads the relayed stream to its end and goes on on the direct one. Every byte keeps its
/// order, and nothing is sent on the relay after the move (its limits no longer count). Until then the sender
/// keeps the file data it writes on the relay within the relay's byte limit (<see cref="Budget"/>) and its
/// session within the relay's duration limit (<see cref="Deadline"/>).
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
        Budget = connection.Relay is { } limits ? new RelayBudget(limits.MaxBytes) : null;
        Deadline = connection is { Relay: { } relay, RelayTimeLeft: not null } ? new RelayDeadline(relay.MaxDuration, () => connection.RelayTimeLeft!.Value) : null;
    }

    /// <summary>For a relayed first connection, the file data the relay still carries; null when it is direct.</summary>
    public RelayBudget? Budget { get; }

    /// <summary>For a relayed first connection, when the relay ends its session; null when it is direct.</summary>
    public RelayDeadline? Deadline { get; }

    /// <summary>The connection in use: the first one, or the direct one after a move.</summary>
    public PeerConnection Current { get; private set; }

    public Stream Stream => Current.Stream;

    /// <summary>Completes with the direct connection when one is ready to move to, or with null when none will come.</summary>
    public Task<PeerConnection?> Direct => _upgrade;

    /// <summary>Told of the move, with the direct connection.</summary>
    public Action<PeerConnection>? Moved { get; init; }

    /// <summary>
    /// The sender, before writing up to <paramref name="count"/> bytes of a <paramref name="size"/>-byte file in one
    /// write: moves if a direct connection is ready, and gives the stream to write on and how many of the bytes to write
    /// there. On the relay that is what its <see cref="Budget"/> still allows — fewer at its end, so the relay is used
    /// to its last byte. Once nothing more fits, or the session is near its <see cref="Deadline"/>, waits up to
    /// <paramref name="wait"/> for the direct connection and moves to it; when none comes, throws a
    /// <see cref="RelayLimitException"/> instead of running into the relay's limit.
    /// </summary>
    public async ValueTask<(Stream Stream, int Count)> ReserveAsync(int count, long size, TimeSpan wait, CancellationToken cancellationToken)
    {
        await MoveIfReadyAsync();
        if (Current != _first || Budget is null)
        {
            return (Stream, count);
        }
        var outOfTime = Deadline?.IsUp(wait) == true;
        if (!outOfTime && Budget.Take(count) is > 0 and var fits)
        {
            return (Stream, fits);
        }
        wait = WaitWithin(Deadline?.WaitWithin(wait) ?? wait, _first.Relay!.Value.MaxIdle);
        if (await DirectWithinAsync(wait, cancellationToken) is not { } direct)
        {
            var why = Direct.IsCompleted
                ? "no direct connection came (the attempts to reach the peer directly ended)"
                : $"no direct connection came within {wait.TotalSeconds:0.###} s";
            await _first.CompleteWritesAsync(); // the receiver reads the end of the stream after the last byte sent
            throw outOfTime ? RelayLimitException.Duration(Deadline!.MaxDuration, size, why) : RelayLimitException.Bytes(Budget.MaxBytes, size, why);
        }
        await MoveAsync(direct);
        return (Stream, count);
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
        if (await DirectWithinAsync(FollowTimeout, cancellationToken) is not { } direct)
        {
            return false;
        }
        Move(direct);
        return true;
    }

    /// <summary>
    /// How long the sender may wait, writing nothing, for the direct connection: <paramref name="wanted"/>, but at most
    /// half the relay's idle limit, so that the relay does not end the session meanwhile (the receiver would read that
    /// end as a cut and fail the transfer, though the direct connection might still come).
    /// </summary>
    internal static TimeSpan WaitWithin(TimeSpan wanted, TimeSpan maxIdle) =>
        maxIdle == Timeout.InfiniteTimeSpan || wanted <= maxIdle / 2 ? wanted : maxIdle / 2;

    /// <summary>The direct connection once it is ready, or null when none will come or it is not ready within <paramref name="wait"/>.</summary>
    private async Task<PeerConnection?> DirectWithinAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            return await Direct.WaitAsync(wait, cancellationToken);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>The sender, between two chunks: moves now if a direct connection is ready.</summary>
    private async ValueTask MoveIfReadyAsync()
    {
        if (Current == _first && Direct.IsCompletedSuccessfully && Direct.Result is { } direct)
        {
            await MoveAsync(direct);
        }
    }

    /// <summary>The sender's move: ends its writes on the relay, then goes on on <paramref name="direct"/>.</summary>
    private async ValueTask MoveAsync(PeerConnection direct)
    {
        await _first.CompleteWritesAsync(); // flushes, then close_notify and FIN: the receiver's reads there end
        Move(direct);
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
