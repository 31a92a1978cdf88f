using System.Collections.Concurrent;

namespace Burrow.Rendezvous.Server;

/// <summary>
/// Which datagram sessions keep their ciphers: making one costs ~3 µs, keeping one ~1.5 KiB, so only the
/// sessions used in the last <see cref="Idle"/> keep theirs (most of 100,000 nodes only ping every 25 s), and
/// <see cref="ReleaseIdle"/> frees the others' (made again at their next packet).
/// </summary>
internal sealed class CipherKeeping(TimeProvider time)
{
    /// <summary>A session unused this long gives its ciphers back.</summary>
    public static readonly TimeSpan Idle = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<DatagramSession, byte> _kept = new(); // each session knows its last use

    /// <summary>Sessions keeping their ciphers now (used in the last <see cref="Idle"/> or so).</summary>
    public int Count => _kept.Count;

    /// <summary>The session is about to seal or open a packet: it keeps its ciphers until idle.</summary>
    public void Use(DatagramSession session)
    {
        if (session.MarkCipherUse(time.GetTimestamp()))
        {
            _kept.TryAdd(session, 0); // it was not kept: it is now
        }
    }

    /// <summary>The session ended.</summary>
    public void Forget(DatagramSession session) => _kept.TryRemove(session, out _);

    /// <summary>Frees the ciphers of the sessions idle for <see cref="Idle"/>.</summary>
    public void ReleaseIdle()
    {
        var now = time.GetTimestamp();
        foreach (var (session, _) in _kept)
        {
            var used = session.CipherUse;
            if (time.GetElapsedTime(used, now) <= Idle || !_kept.TryRemove(session, out _))
            {
                continue;
            }
            if (session.TryMarkCiphersIdle(used))
            {
                session.Channel.ReleaseCiphers();
            }
            else
            {
                _kept.TryAdd(session, 0); // used meanwhile: kept
            }
        }
    }
}
