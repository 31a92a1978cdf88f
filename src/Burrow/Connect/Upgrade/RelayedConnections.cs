using Burrow.Transport;

namespace Burrow.Connect.Upgrade;

/// <summary>
/// The relayed connections a node received (it answered the peer's relay request), by tag, while they are open:
/// a direct connection the peer makes to replace one names it (<see cref="PeerConnection.UpgradeOf"/>) and is
/// handed to it here instead of to AcceptAsync.
/// </summary>
internal sealed class RelayedConnections
{
    private readonly Dictionary<UpgradeTag, PeerConnection> _open = [];
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>Keeps <paramref name="relayed"/> until it is disposed.</summary>
    public void Add(PeerConnection relayed)
    {
        if (relayed.RelayTag is not { } tag)
        {
            return;
        }
        lock (_lock)
        {
            _open[tag] = relayed;
        }
        relayed.Closed.UnsafeRegister(_ => Remove(tag, relayed), null);
    }

    /// <summary>
    /// Hands <paramref name="direct"/> to the open relayed connection it names, from the same peer; false when
    /// there is none (closed, never known, or another peer's): the caller closes it.
    /// </summary>
    public bool TryUpgrade(PeerConnection direct)
    {
        if (direct.UpgradeOf is not { } tag)
        {
            return false;
        }
        PeerConnection? relayed;
        lock (_lock)
        {
            _open.TryGetValue(tag, out relayed);
        }
        return relayed is not null && relayed.TryUpgrade(direct);
    }

    private void Remove(UpgradeTag tag, PeerConnection relayed)
    {
        lock (_lock)
        {
            if (_open.TryGetValue(tag, out var current) && ReferenceEquals(current, relayed))
            {
                _open.Remove(tag);
            }
        }
    }
}
