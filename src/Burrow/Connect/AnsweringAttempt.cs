using Burrow.Transport;

namespace Burrow.Connect;

/// <summary>
/// The answering side of a signaled connect (reverse, punch, relay): runs its attempt within a deadline, hands a
/// connection over as an inbound one, and reports every way it can fail in words — never throws.
/// </summary>
internal static class AnsweringAttempt
{
    public static async Task RunAsync(Func<CancellationToken, Task<AttemptOutcome>> attempt, TimeSpan timeout,
        Func<PeerConnection, Task> deliver, Action<string> failed, CancellationToken cancellationToken)
    {
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            var outcome = await attempt(deadline.Token).ConfigureAwait(false);
            if (outcome.Connection is { } connection)
            {
                await deliver(connection).ConfigureAwait(false);
            }
            else
            {
                failed(outcome.Failure ?? "failed");
            }
        }
        catch (OperationCanceledException)
        {
            failed("timed out or stopping");
        }
        catch (Exception e) when (e is BurrowException or IOException or System.Net.Sockets.SocketException)
        {
            failed(e.Message);
        }
    }
}
