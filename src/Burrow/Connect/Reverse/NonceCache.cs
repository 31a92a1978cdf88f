namespace Burrow.Connect.Reverse;

/// <summary>
/// Remembers request nonces for a while so that a replayed request is refused (pure: the caller passes the
/// time). Bounded: past <see cref="Capacity"/> the oldest are forgotten first.
/// </summary>
internal sealed class NonceCache(TimeSpan retention, int capacity = 4096)
{
    private readonly HashSet<string> _seen = [];
    private readonly Queue<(string Nonce, DateTimeOffset Until)> _order = new();
    private readonly Lock _lock = new();

    public int Capacity { get; } = capacity;

    /// <summary>True the first time a nonce is seen (within the retention); false for a replay.</summary>
    public bool TryAdd(ReadOnlySpan<byte> nonce, DateTimeOffset now)
    {
        var key = Convert.ToBase64String(nonce);
        lock (_lock)
        {
            while (_order.TryPeek(out var oldest) && (oldest.Until < now || _order.Count >= Capacity))
            {
                _seen.Remove(_order.Dequeue().Nonce);
            }
            if (!_seen.Add(key))
            {
                return false;
            }
            _order.Enqueue((key, now + retention));
            return true;
        }
    }
}
