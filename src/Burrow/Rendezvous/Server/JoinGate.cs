using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Burrow.Rendezvous.Server;

/// <summary>What the <see cref="JoinGate"/> lets a join with a good cookie do.</summary>
internal enum JoinAdmission
{
    /// <summary>A new join: check its signature and agree on keys.</summary>
    Fresh,

    /// <summary>The very join accepted before (its welcome was lost, or it is replayed): answer from its session.</summary>
    Repeated,

    /// <summary>Another join with a cookie that a join was accepted with: refused.</summary>
    Replayed,

    /// <summary>Over the budget of fresh joins: dropped (the node sends it again).</summary>
    Busy,
}

/// <summary>
/// Decides, before the server spends a signature check and a key agreement on a join whose cookie checked out,
/// whether to spend them (no I/O; time from a <see cref="TimeProvider"/>). A cookie is good for
/// <see cref="DatagramHandshake.CookieLifetime"/>, and anyone can sign a join with a key of their own, so
/// without this one host could replay a join, or send fresh ones, as fast as its link allows and keep the
/// endpoint's one reader thread from the registered nodes' packets. So: the join accepted with a cookie is
/// remembered for the cookie's lifetime, and the same bytes again are answered from its session, other bytes
/// with that cookie refused; fresh joins are admitted at most <c>perSecond</c> a second on average, a
/// second's worth at once (a token bucket).
/// </summary>
internal sealed class JoinGate
{
    private readonly TimeProvider _time;
    private readonly double _perSecond;
    private readonly Lock _lock = new();
    private readonly Dictionary<UInt128, (UInt128 Digest, ulong Session)> _accepted = [];
    private readonly Queue<(UInt128 Cookie, long At)> _order = new();
    private double _tokens;
    private long _refilled;

    public JoinGate(int perSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perSecond, 1);
        (_time, _perSecond, _tokens, _refilled) = (time, perSecond, perSecond, time.GetTimestamp());
    }

    /// <summary>Joins remembered now (each for a cookie's lifetime after it was accepted).</summary>
    public int Remembered
    {
        get
        {
            lock (_lock)
            {
                return _accepted.Count;
            }
        }
    }

    /// <summary>
    /// What to do with <paramref name="join"/>, whose cookie is <paramref name="cookie"/>; for
    /// <see cref="JoinAdmission.Repeated"/>, the session it was accepted into. A fresh join takes one from the
    /// budget.
    /// </summary>
    public JoinAdmission Admit(ReadOnlySpan<byte> cookie, ReadOnlySpan<byte> join, out ulong session)
    {
        session = 0;
        var key = Key(cookie);
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            Forget(now);
            if (_accepted.TryGetValue(key, out var accepted))
            {
                if (accepted.Digest != Digest(join))
                {
                    return JoinAdmission.Replayed;
                }
                session = accepted.Session;
                return JoinAdmission.Repeated;
            }
            _tokens = Math.Min(_perSecond, _tokens + (_time.GetElapsedTime(_refilled, now).TotalSeconds * _perSecond));
            _refilled = now;
            if (_tokens < 1)
            {
                return JoinAdmission.Busy;
            }
            _tokens--;
            return JoinAdmission.Fresh;
        }
    }

    /// <summary>Remembers that <paramref name="join"/> was accepted into <paramref name="session"/>.</summary>
    public void Accepted(ReadOnlySpan<byte> cookie, ReadOnlySpan<byte> join, ulong session)
    {
        var key = Key(cookie);
        lock (_lock)
        {
            if (_accepted.TryAdd(key, (Digest(join), session)))
            {
                _order.Enqueue((key, _time.GetTimestamp()));
            }
        }
    }

    /// <summary>Forgets the joins whose cookies have expired (oldest first: the queue is in the order accepted).</summary>
    private void Forget(long now)
    {
        while (_order.TryPeek(out var oldest) && _time.GetElapsedTime(oldest.At, now) > DatagramHandshake.CookieLifetime)
        {
            _order.Dequeue();
            _accepted.Remove(oldest.Cookie);
        }
    }

    private static UInt128 Key(ReadOnlySpan<byte> cookie) => BinaryPrimitives.ReadUInt128LittleEndian(cookie);

    private static UInt128 Digest(ReadOnlySpan<byte> join)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(join, hash);
        return BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }
}
