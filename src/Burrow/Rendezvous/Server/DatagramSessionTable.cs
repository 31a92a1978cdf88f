using System.Collections.Concurrent;
using System.Net;
using Burrow.Transport;

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

    /// <summary>As many joined from this IP address and have not registered yet as the server takes from one.</summary>
    BusyAddress,
}

/// <summary>
/// The datagram endpoint's sessions by id; the ids of those that ended, while their join could still come
/// again; and those joined without registering yet, each holding a place of <paramref name="pending"/> until it
/// registers or ends.
/// </summary>
internal sealed class DatagramSessionTable(PendingAdmission pending, TimeProvider time)
{
    private readonly ConcurrentDictionary<ulong, DatagramSession> _sessions = new();
    private readonly ConcurrentDictionary<ulong, long> _ended = new(); // session id → when it ended
    private readonly Lock _lock = new();
    private readonly Dictionary<DatagramSession, IPAddress> _unregistered = []; // each joined from (under _lock)

    public ICollection<DatagramSession> Sessions => _sessions.Values;

    public bool TryGet(ulong id, out DatagramSession session) => _sessions.TryGetValue(id, out session!);

    /// <summary>
    /// The session <paramref name="id"/> of a join from <paramref name="from"/> just accepted: made by
    /// <paramref name="make"/>, or the one made before.
    /// </summary>
    public SessionJoin Join(ulong id, IPAddress from, Func<DatagramSession> make, out DatagramSession? session)
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
            switch (pending.TryAdmit(from))
            {
                case Admission.Busy:
                    return SessionJoin.Busy;
                case Admission.BusyAddress:
                    return SessionJoin.BusyAddress;
            }
            session = make();
            _sessions[id] = session;
            _unregistered[session] = from;
            return SessionJoin.Made;
        }
    }

    /// <summary>A session registered: it no longer counts against the joins the server takes at once.</summary>
    public void Registered(DatagramSession session)
    {
        lock (_lock)
        {
            if (_unregistered.Remove(session, out var from))
            {
                pending.Release(from);
            }
        }
    }

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
            Registered(session); // never will: no longer counts either
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
