namespace Burrow.Tests;

/// <summary>What a test started (servers, nodes, keys), disposed in reverse order of adding.</summary>
internal sealed class Owned : IAsyncDisposable
{
    private readonly List<object> _items = [];

    public T Add<T>(T item)
        where T : notnull
    {
        _items.Add(item);
        return item;
    }

    public async Task<T> AddAsync<T>(Task<T> starting)
        where T : notnull => Add(await starting);

    public async ValueTask DisposeAsync()
    {
        for (var i = _items.Count - 1; i >= 0; i--)
        {
            switch (_items[i])
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }
}
