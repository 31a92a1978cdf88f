namespace Burrow.Relay;

/// <summary>
/// Binds waiting for their other side, by token (thread-safe, no I/O): the second arrival of a token is handed to
/// the first, which runs the session.
/// </summary>
internal sealed class RelayWaitingRoom<T> where T : class
{
    private readonly Dictionary<string, TaskCompletionSource<T>> _waiting = [];
    private readonly Lock _lock = new();

    /// <summary>
    /// Hands <paramref name="arrival"/> to the one waiting with <paramref name="token"/> and returns null, or, when
    /// nobody is, lets it wait: the task completes with the other side when it arrives.
    /// </summary>
    public Task<T>? Enter(string token, T arrival)
    {
        lock (_lock)
        {
            if (_waiting.Remove(token, out var waiting))
            {
                waiting.SetResult(arrival); // entries complete only here, once out of the room
                return null;
            }
            var entry = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting[token] = entry;
            return entry.Task;
        }
    }

    /// <summary>
    /// Takes a wait that gives up out of the room; returns the other side when it arrived at the last moment. Only
    /// the wait's own entry goes: once paired, the token's entry (if any) is a later bind's, which stays.
    /// </summary>
    public T? Leave(string token, Task<T> wait)
    {
        lock (_lock)
        {
            if (_waiting.TryGetValue(token, out var entry) && entry.Task == wait)
            {
                _waiting.Remove(token);
            }
            return wait.IsCompletedSuccessfully ? wait.Result : null;
        }
    }
}
