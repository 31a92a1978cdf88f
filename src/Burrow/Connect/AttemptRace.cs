using Burrow.Transport;

namespace Burrow.Connect;

/// <summary>One competitor in an <see cref="AttemptRace"/>: it starts <see cref="StartAfter"/> into the race at the latest.</summary>
public sealed record RaceEntrant(string Name, TimeSpan StartAfter, Func<CancellationToken, Task<AttemptOutcome>> Run);

/// <summary>
/// Runs attempts staggered in time, Happy-Eyeballs style (RFC 8305): each starts at its delay, or at once when
/// everything started before it has failed. The first connection wins; the others are cancelled, and any that
/// connect anyway are closed (gracefully: the winner is a different socket and is never touched).
/// </summary>
public static class AttemptRace
{
    public static async Task<(PeerConnection? Winner, IReadOnlyList<StrategyAttempt> Attempts)> RunAsync(
        IReadOnlyList<RaceEntrant> entrants, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var results = new StrategyAttempt?[entrants.Count];
        using var race = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = new Dictionary<Task<AttemptOutcome>, int>();
        var next = 0;
        PeerConnection? winner = null;
        try
        {
            while (winner is null && (running.Count > 0 || next < entrants.Count))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (next < entrants.Count && (running.Count == 0 || time.GetElapsedTime(started) >= entrants[next].StartAfter))
                {
                    running.Add(Start(entrants[next], race.Token), next);
                    next++;
                    continue;
                }
                var waitFor = new List<Task>(running.Keys);
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(race.Token);
                if (next < entrants.Count)
                {
                    // Clamped: the clock moved since the check above, and a negative delay is an error.
                    var untilNext = entrants[next].StartAfter - time.GetElapsedTime(started);
                    untilNext = untilNext > TimeSpan.Zero ? untilNext : TimeSpan.Zero;
                    waitFor.Add(Task.Delay(untilNext, time, timer.Token));
                }
                var done = await Task.WhenAny(waitFor).ConfigureAwait(false);
                await timer.CancelAsync().ConfigureAwait(false);
                if (done is not Task<AttemptOutcome> attempt)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    continue; // the next entrant's turn has come
                }
                var index = running[attempt];
                running.Remove(attempt);
                var outcome = await attempt.ConfigureAwait(false);
                var elapsed = time.GetElapsedTime(started);
                if (outcome.Connection is { } connection)
                {
                    winner = connection;
                    results[index] = new StrategyAttempt(entrants[index].Name, AttemptResult.Connected, connection.RemoteEndPoint.ToString(), elapsed);
                }
                else
                {
                    results[index] = new StrategyAttempt(entrants[index].Name, AttemptResult.Failed, outcome.Failure ?? "failed", elapsed);
                }
            }
        }
        finally
        {
            await race.CancelAsync().ConfigureAwait(false);
            foreach (var (task, index) in running)
            {
                results[index] = new StrategyAttempt(entrants[index].Name, AttemptResult.Cancelled,
                    winner is null ? "the connect was cancelled" : "another attempt connected first", time.GetElapsedTime(started));
                _ = CloseLoserAsync(task);
            }
        }
        for (var i = 0; i < results.Length; i++)
        {
            results[i] ??= new StrategyAttempt(entrants[i].Name, AttemptResult.NotStarted, "not needed", TimeSpan.Zero);
        }
        if (cancellationToken.IsCancellationRequested && winner is not null)
        {
            await winner.DisposeAsync().ConfigureAwait(false); // cancelled as it won: nobody will get it
        }
        cancellationToken.ThrowIfCancellationRequested();
        return (winner, results!);
    }

    private static async Task<AttemptOutcome> Start(RaceEntrant entrant, CancellationToken cancellationToken)
    {
        await Task.Yield(); // never run an attempt's synchronous part on the race loop
        try
        {
            return await entrant.Run(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return AttemptOutcome.Failed("cancelled");
        }
        catch (BurrowException e)
        {
            return AttemptOutcome.Failed(e.Message);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return AttemptOutcome.Failed(e.Message);
        }
    }

    private static async Task CloseLoserAsync(Task<AttemptOutcome> attempt)
    {
        var outcome = await attempt.ConfigureAwait(false);
        if (outcome.Connection is { } late)
        {
            await late.DisposeAsync().ConfigureAwait(false);
        }
    }
}
