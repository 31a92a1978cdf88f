using Burrow.Identity;
using Burrow.Transport;

namespace Burrow.Connect.Upgrade;

/// <summary>
/// The relayed connections a node received (it answered the peer's relay request), by peer and tag, while they
/// are open: a direct connection the peer makes to replace one names it (<see cref="PeerConnection.UpgradeOf"/>)
/// and is handed to it here instead of to AcceptAsync. Keyed by the authenticated peer too, so that a node that
/// learned a relay token (the relay sees it) cannot take another peer's place. A direct connection may arrive
/// before its relayed one is known (the relayed handshake ends half a relay round trip later on this side): it
/// waits for it a little.
/// </summary>
internal sealed class RelayedConnections
{
    private readonly Dictionary<(NodeId Peer, UpgradeTag Tag), TaskCompletionSource<PeerConnection>> _open = [];
    private readonly Lock _lock = new();

    /// <summary>Keeps <paramref name="relayed"/> until it is disposed (the first one, should a peer reuse a token).</summary>
    public void Add(PeerConnection relayed)
    {
        if (relayed.RelayTag is not { } tag)
        {
            return;
        }
        var entry = Entry((relayed.RemoteId, tag), out _);
        if (entry.TrySetResult(relayed))
        {
            relayed.Closed.UnsafeRegister(_ => Remove((relayed.RemoteId, tag), entry), null);
        }
    }

    /// <summary>
    /// Hands <paramref name="direct"/> to the open relayed connection it names, from the same peer, waiting up to
    /// <paramref name="wait"/> for that one to be added; false when there is none (closed, never known, another
    /// peer's, already upgraded): the caller closes it.
    /// </summary>
    public async Task<bool> TryUpgradeAsync(PeerConnection direct, TimeSpan wait, TimeProvider time, CancellationToken cancellationToken)
    {
        if (direct.UpgradeOf is not { } tag)
        {
            return false;
        }
        var key = (direct.RemoteId, tag);
        var entry = Entry(key, out var created);
        try
        {
            var relayed = await entry.Task.WaitAsync(wait, time, cancellationToken).ConfigureAwait(false);
            return relayed.TryUpgrade(direct);
        }
        catch (TimeoutException)
        {
            return false;
        }
        finally
        {
            if (created && !entry.Task.IsCompleted)
            {
                Remove(key, entry); // nobody came: do not keep an entry for a tag no relayed connection has
            }
        }
    }

    private TaskCompletionSource<PeerConnection> Entry((NodeId, UpgradeTag) key, out bool created)
    {
        lock (_lock)
        {
            created = !_open.TryGetValue(key, out var entry);
            if (created)
            {
                _open[key] = entry = new TaskCompletionSource<PeerConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            return entry!;
        }
    }

    private void Remove((NodeId, UpgradeTag) key, TaskCompletionSource<PeerConnection> entry)
    {
        lock (_lock)
        {
            if (_open.TryGetValue(key, out var current) && ReferenceEquals(current, entry))
            {
                _open.Remove(key);
            }
        }
    }
}
