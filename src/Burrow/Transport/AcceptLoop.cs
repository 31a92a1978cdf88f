using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Burrow.Transport;

/// <summary>
/// Accepts connections until cancelled or the listener is closed (thin I/O driver). An error on one accept does not
/// end it: a connection that failed before or as it was accepted is dropped, and running out of descriptors or memory
/// is logged and waited out briefly before the next accept.
/// </summary>
internal static class AcceptLoop
{
    private static readonly TimeSpan Backoff = TimeSpan.FromMilliseconds(100);

    /// <summary>Hands each accepted socket, set to <see cref="Socket.NoDelay"/>, to <paramref name="onAccepted"/>.</summary>
    public static async Task RunAsync(Func<CancellationToken, ValueTask<Socket>> accept, Action<Socket> onAccepted, string endpoint,
        ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        await Task.Yield(); // the caller's constructor finishes before the first connection is handed over
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await accept(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                continue; // the peer gave up before we accepted
            }
            catch (SocketException e)
            {
                AcceptLog.Failed(logger, endpoint, e);
                try
                {
                    await Task.Delay(Backoff, time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            try
            {
                accepted.NoDelay = true;
            }
            catch (SocketException)
            {
                accepted.Dispose(); // reset as soon as it was accepted
                continue;
            }
            onAccepted(accepted);
        }
    }
}

internal static partial class AcceptLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Accept on {Endpoint} failed; accepting again shortly")]
    public static partial void Failed(ILogger logger, string endpoint, Exception exception);
}
