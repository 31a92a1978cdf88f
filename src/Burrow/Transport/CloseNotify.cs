using System.Net.Security;

namespace Burrow.Transport;

/// <summary>
/// The close_notify of a closing TLS connection, so that the peer reads an end and not a cut (see
/// <see cref="PeerTlsStream"/>); a close that must not hang bounds its wait, since a peer that reads nothing may have
/// left no room for it.
/// </summary>
internal static class CloseNotify
{
    /// <summary>
    /// Sends close_notify on <paramref name="ssl"/>, waiting at most <paramref name="limit"/>; false when it did not go
    /// (refused during a write, failed, or still waiting for room at the limit — then the peer reads a cut, which is
    /// what it was).
    /// </summary>
    public static async Task<bool> SendAsync(SslStream ssl, TimeSpan limit)
    {
        Task notify;
        try
        {
            notify = ssl.ShutdownAsync();
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or IOException)
        {
            return false; // a plain SslStream checks synchronously (PeerTlsStream never throws here)
        }
        await notify.WaitAsync(limit).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!notify.IsCompleted)
        {
            _ = notify.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return false;
        }
        return notify.IsCompletedSuccessfully;
    }
}
