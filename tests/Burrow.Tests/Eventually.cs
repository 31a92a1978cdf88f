using System.Diagnostics;

namespace Burrow.Tests;

/// <summary>Waiting, in a test, for something another thread brings about.</summary>
internal static class Eventually
{
    /// <summary>Returns once <paramref name="condition"/> holds; fails the test if it does not within 10 s.</summary>
    public static async Task HoldsAsync(Func<bool> condition, CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), "the condition did not hold within 10 s");
            await Task.Delay(10, ct);
        }
    }
}
