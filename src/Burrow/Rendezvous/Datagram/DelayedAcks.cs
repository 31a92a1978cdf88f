namespace Burrow.Rendezvous.Datagram;

/// <summary>One end of a session that may owe its peer an acknowledgement.</summary>
internal interface IAckOwner
{
    /// <summary>Marks the owner as queued; false when it already is.</summary>
    bool TryMarkQueued();

    /// <summary>Clears the mark; sends a bare acknowledgement if one is still owed (nothing else carried it).</summary>
    void FlushAck();
}

/// <summary>
/// Bare acknowledgements, held back by <see cref="Delay"/> so that an answer going back meanwhile carries the
/// acknowledgement instead (every packet does): one timer for all the owners that owe one, armed only while
/// some do. The first resend of an unacknowledged message waits longer than this.
/// </summary>
internal sealed class DelayedAcks : IDisposable
{
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(25);
    private readonly System.Collections.Concurrent.ConcurrentQueue<IAckOwner> _owed = new();
    private readonly ITimer _timer;
    private int _armed;

    public DelayedAcks(TimeProvider time) => _timer = time.CreateTimer(_ => Flush(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    /// <summary><paramref name="owner"/> owes an acknowledgement: it is sent within <see cref="Delay"/> unless something else carries it.</summary>
    public void Owe(IAckOwner owner)
    {
        if (!owner.TryMarkQueued())
        {
            return;
        }
        _owed.Enqueue(owner);
        if (Interlocked.CompareExchange(ref _armed, 1, 0) == 0)
        {
            _timer.Change(Delay, Timeout.InfiniteTimeSpan);
        }
    }

    private void Flush()
    {
        Interlocked.Exchange(ref _armed, 0); // a full fence: an owner queued from here on arms the timer again
        while (_owed.TryDequeue(out var owner))
        {
            try
            {
                owner.FlushAck();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // One owner's failure (it is closing) neither stops the others nor escapes the timer.
            }
        }
    }

    public void Dispose() => _timer.Dispose();
}
