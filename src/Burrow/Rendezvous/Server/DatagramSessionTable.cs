using System.Collections.Concurrent;

namespace Burrow.Rendezvous.Server;

/// <summary>What became of a join at the <see cref="DatagramSessionTable"/>.</summary>
internal enum SessionJoin
{
    /// <summary>A new session was made.</summary>
    Made,

    /// <summary>The join was sent again (its welcome was lost): it derives the session made before.</summary>
    Existing,

    /// <summary>Its session ended: a session is never made again (its numbers would be sealed twice).</summary>
    Ended,

    /// <summary>As many joined and have not registered yet as the server takes at once.</summary>
    Busy,
}

/// <summary>
/// The datagram endpoint's sessions by id; the ids of those that ended, while their join could still come
/// again; and how many joined without registering yet (at most <paramref name="maxUnregistered"/>).
/// </summary>
internal sealed class DatagramSessionTable(int maxUnregistered, TimeProvider time)
{
    private readonly ConcurrentDictionary<ulong, DatagramSession> _sessions = new();
    private readonly ConcurrentDictionary<ulong, long> _ended = new(); // session id → when it ended
    private readonly Lock _lock = new();
    private int _unregistered;

    public ICollection<DatagramSession> Sessions => _sessions.Values;

    public bool TryGet(ulong id, out DatagramSession session) => _sessions.TryGetValue(id, out session!);

    /// <summary>The session <paramref name="id"/> of a join just accepted: made by <paramref name="make"/>, or the one made before.</summary>
    public SessionJoin Join(ulong id, Func<DatagramSession> make, out DatagramSession? session)
    {
        lock (_lock) // against Remove: a session that ended is never made again
        {
            if (_ended.ContainsKey(id))
            {
                session = null;
                return SessionJoin.Ended;
            }
            if (_sessions.TryGetValue(id, out session))
            {
                return SessionJoin.Existing;
            }
            if (Volatile.Read(ref _unregistered) >= maxUnregistered)
            {
                return SessionJoin.Busy;
            }
            session = make();
            _sessions[id] = session;
            Interlocked.Increment(ref _unregistered);
            return SessionJoin.Made;
        }
    }

    /// <summary>A session registered: it no longer counts against the joins the server takes at once.</summary>
    public void Registered() => Interlocked.Decrement(ref _unregistered);

    /// <summary>Forgets a session (it ended, was replaced, or fell silent), remembering that it ended.</summary>
    public void Remove(DatagramSession session)
    {
        lock (_lock)
        {
            _ended[session.Channel.Session] = time.GetTimestamp();
            _sessions.TryRemove(new KeyValuePair<ulong, DatagramSession>(session.Channel.Session, session));
        }
        if (session.TakePending())
        {
            Interlocked.Decrement(ref _unregistered);
        }
    }

    /// <summary>Forgets the ids of sessions that ended long enough ago that their joins' cookies have expired.</summary>
    public void ForgetEnded(long now)
    {
        foreach (var (id, ended) in _ended)
        {
            if (time.GetElapsedTime(ended, now) > 2 * DatagramHandshake.CookieLifetime)
            {
                _ended.TryRemove(id, out _);
            }
        }
    }
}
