using Burrow.Connect;
using Microsoft.Extensions.Time.Testing;

namespace Burrow.Tests.Connect;

/// <summary>The staggered race, on a fake clock: who starts when, who wins, what is reported.</summary>
public class AttemptRaceTests
{
    [Fact(Timeout = 30_000)]
    public async Task A_later_entrant_starts_at_its_delay_while_an_earlier_one_hangs()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider();
        var started = new List<string>();
        var hang = new TaskCompletionSource<AttemptOutcome>();
        var secondStarted = new TaskCompletionSource();
        RaceEntrant[] entrants =
        [
            new("first", TimeSpan.Zero, async token =>
            {
                lock (started) { started.Add("first"); }
                using var _ = token.Register(() => hang.TrySetResult(AttemptOutcome.Failed("cancelled")));
                return await hang.Task;
            }),
            new("second", TimeSpan.FromMilliseconds(250), _ =>
            {
                lock (started) { started.Add("second"); }
                secondStarted.SetResult();
                return Task.FromResult(AttemptOutcome.Failed("refused"));
            }),
        ];
        var race = AttemptRace.RunAsync(entrants, time, ct);
        await Eventually.HoldsAsync(() => { lock (started) { return started.Count == 1; } }, ct);
        time.Advance(TimeSpan.FromMilliseconds(249));
        await Task.Delay(50, ct);
        Assert.False(secondStarted.Task.IsCompleted); // not before its delay
        time.Advance(TimeSpan.FromMilliseconds(1));
        await secondStarted.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        hang.SetResult(AttemptOutcome.Failed("timed out"));
        var (winner, attempts) = await race;
        Assert.Null(winner);
        Assert.Equal(["first: timed out", "second: refused"], attempts.Select(a => $"{a.Strategy}: {a.Detail}"));
        Assert.All(attempts, a => Assert.Equal(AttemptResult.Failed, a.Result));
    }

    [Fact(Timeout = 30_000)]
    public async Task When_everything_started_has_failed_the_next_starts_at_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(); // never advanced: only a failure can start the second entrant
        RaceEntrant[] entrants =
        [
            new("a", TimeSpan.Zero, _ => Task.FromResult(AttemptOutcome.Failed("refused"))),
            new("b", TimeSpan.FromHours(1), _ => Task.FromResult(AttemptOutcome.Failed("refused too"))),
        ];
        var (winner, attempts) = await AttemptRace.RunAsync(entrants, time, ct);
        Assert.Null(winner);
        Assert.Equal([AttemptResult.Failed, AttemptResult.Failed], attempts.Select(a => a.Result));
    }

    [Fact(Timeout = 30_000)]
    public async Task Faults_of_the_expected_kinds_become_failures_with_their_message()
    {
        var ct = TestContext.Current.CancellationToken;
        RaceEntrant[] entrants =
        [
            new("socket", TimeSpan.Zero, _ => throw new System.Net.Sockets.SocketException(111)),
            new("auth", TimeSpan.Zero, _ => throw new PeerAuthenticationException("wrong key")),
        ];
        var (winner, attempts) = await AttemptRace.RunAsync(entrants, TimeProvider.System, ct);
        Assert.Null(winner);
        Assert.Equal("wrong key", attempts[1].Detail);
        Assert.Equal(AttemptResult.Failed, attempts[0].Result);
    }

    [Fact(Timeout = 30_000)]
    public async Task Cancellation_by_the_caller_is_not_reported_as_a_failure_but_thrown()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        RaceEntrant[] entrants = [new("slow", TimeSpan.Zero, async token => { await Task.Delay(Timeout.Infinite, token); return AttemptOutcome.Failed("never"); })];
        var race = AttemptRace.RunAsync(entrants, TimeProvider.System, cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => race);
    }
}
