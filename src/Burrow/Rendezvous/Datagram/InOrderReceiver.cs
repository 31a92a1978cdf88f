namespace Burrow.Rendezvous.Datagram;

/// <summary>
/// Puts one direction's messages back in the order they were sent (pure): messages are numbered from 1 with
/// no gaps, so a message ahead of a lost one waits (at most <see cref="Window"/> ahead) until the lost one is
/// resent. A number already delivered or waiting is a duplicate — a retransmission whose acknowledgement was
/// lost, or a replay — and is not delivered again.
/// </summary>
public sealed class InOrderReceiver
{
    public const int Window = 64;

    /// <summary>Early messages held at most, in bytes: past it, one more is dropped unacknowledged (and resent).</summary>
    public const int MaxWaitingBytes = 16 * 1024;
    private ulong _next = 1;
    private int _waitingBytes;
    private Dictionary<ulong, byte[]>? _waiting; // made only when a message comes early

    /// <summary>Every message up to this number has been delivered (0: none yet) — the cumulative acknowledgement.</summary>
    public ulong Delivered => _next - 1;

    /// <summary>What became of a message.</summary>
    public enum Outcome
    {
        /// <summary>New: it (and any it released) is in the delivered list.</summary>
        Accepted,

        /// <summary>Delivered or waiting already.</summary>
        Duplicate,

        /// <summary>Too far ahead of the next expected one, or too many bytes wait already: dropped, not acknowledged (the sender resends it).</summary>
        TooEarly,
    }

    /// <summary>Takes message <paramref name="sequence"/>; <paramref name="delivered"/> gets every message now deliverable, in order.</summary>
    public Outcome Receive(ulong sequence, byte[] body, List<byte[]> delivered)
    {
        if (sequence < _next || (_waiting?.ContainsKey(sequence) ?? false))
        {
            return Outcome.Duplicate;
        }
        if (sequence - _next >= Window)
        {
            return Outcome.TooEarly;
        }
        if (sequence != _next)
        {
            if (_waitingBytes + body.Length > MaxWaitingBytes)
            {
                return Outcome.TooEarly;
            }
            (_waiting ??= [])[sequence] = body;
            _waitingBytes += body.Length;
            return Outcome.Accepted;
        }
        delivered.Add(body);
        _next++;
        while (_waiting is not null && _waiting.Remove(_next, out var next))
        {
            delivered.Add(next);
            _waitingBytes -= next.Length;
            _next++;
        }
        if (_waiting?.Count == 0)
        {
            _waiting = null;
        }
        return Outcome.Accepted;
    }
}
