namespace Burrow.Rendezvous.Datagram;

/// <summary>
/// Resends sealed packets until they are acknowledged (each on its own timer from a <see cref="TimeProvider"/>,
/// so nothing polls): first after <see cref="FirstWait"/>, then twice as long each time up to two seconds, and
/// after <see cref="MaxAttempts"/> sends it gives up and says so. At most a fixed number wait at once.
/// </summary>
internal sealed class Retransmitter(TimeProvider time, Action<byte[]> send, Action gaveUp, int capacity) : IDisposable
{
    public const int MaxAttempts = 8;
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromSeconds(2);
    private readonly Dictionary<ulong, Pending> _pending = [];
    private bool _disposed;

    /// <summary>The first wait for an acknowledgement: a round trip and a half plus the acknowledgement delay, at least 40 ms, at most a second.</summary>
    public TimeSpan FirstWait { get; private set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Packets waiting for their acknowledgement.</summary>
    public int Count
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Sets <see cref="FirstWait"/> from a measured round trip.</summary>
    public void SetRoundTrip(TimeSpan roundTrip) =>
        FirstWait = TimeSpan.FromTicks(Math.Clamp((roundTrip * 1.5 + DelayedAcks.Delay).Ticks, TimeSpan.FromMilliseconds(40).Ticks, TimeSpan.FromSeconds(1).Ticks));

    /// <summary>
    /// Seals a packet with <paramref name="seal"/> (which numbers it) and sends it, then keeps resending it until
    /// <see cref="Acknowledge"/>; false, with nothing sealed or sent, when full or disposed — so a refused
    /// message never takes a number the receiver would wait for.
    /// </summary>
    public bool TrySend(Func<(ulong Sequence, byte[] Packet)> seal)
    {
        Pending pending;
        lock (_pending)
        {
            if (_disposed || _pending.Count >= capacity)
            {
                return false;
            }
            var (sequence, packet) = seal();
            pending = new Pending(sequence, packet);
            pending.Timer = time.CreateTimer(OnTimer, pending, FirstWait, System.Threading.Timeout.InfiniteTimeSpan);
            _pending.Add(sequence, pending);
        }
        send(pending.Packet);
        return true;
    }

    /// <summary>The packet numbered <paramref name="sequence"/> arrived: stop resending it; false if it was not waiting (answered before).</summary>
    public bool Acknowledge(ulong sequence)
    {
        Pending? pending;
        lock (_pending)
        {
            if (!_pending.Remove(sequence, out pending))
            {
                return false;
            }
        }
        pending.Timer?.Dispose();
        return true;
    }

    /// <summary>Every packet up to <paramref name="sequence"/> arrived (a cumulative acknowledgement).</summary>
    public void AcknowledgeUpTo(ulong sequence)
    {
        List<Pending>? acknowledged = null;
        lock (_pending)
        {
            if (_pending.Count == 0)
            {
                return;
            }
            foreach (var pending in _pending.Values)
            {
                if (pending.Sequence <= sequence)
                {
                    (acknowledged ??= []).Add(pending);
                }
            }
            acknowledged?.ForEach(p => _pending.Remove(p.Sequence));
        }
        acknowledged?.ForEach(p => p.Timer?.Dispose());
    }

    private void OnTimer(object? state)
    {
        var pending = (Pending)state!;
        bool resend;
        lock (_pending)
        {
            if (_disposed || !_pending.ContainsKey(pending.Sequence))
            {
                return;
            }
            resend = ++pending.Attempts < MaxAttempts;
            if (resend)
            {
                var wait = TimeSpan.FromTicks(Math.Min(MaxTimeout.Ticks, FirstWait.Ticks << Math.Min(pending.Attempts, 10)));
                pending.Timer!.Change(wait, System.Threading.Timeout.InfiniteTimeSpan);
            }
            else
            {
                _pending.Remove(pending.Sequence);
            }
        }
        try
        {
            if (resend)
            {
                send(pending.Packet);
            }
            else
            {
                pending.Timer!.Dispose();
                gaveUp();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A timer callback never lets an exception out (it would end the process); the owner is closing.
        }
    }

    public void Dispose()
    {
        List<Pending> left;
        lock (_pending)
        {
            _disposed = true;
            left = [.. _pending.Values];
            _pending.Clear();
        }
        foreach (var pending in left)
        {
            pending.Timer?.Dispose();
        }
    }

    private sealed class Pending(ulong sequence, byte[] packet)
    {
        public ulong Sequence { get; } = sequence;

        public byte[] Packet { get; } = packet;

        public int Attempts { get; set; }

        public ITimer? Timer { get; set; }
    }
}
