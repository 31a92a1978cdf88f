using Burrow.Cli.Transfer;
using Microsoft.Extensions.Time.Testing;

namespace Burrow.Tests.Cli;

/// <summary>When a sender stops writing on a relay so that the relay's duration limit never ends the session under it.</summary>
public sealed class RelayDeadlineTests
{
    private static readonly DateTimeOffset Paired = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static (RelayDeadline Deadline, FakeTimeProvider Time) Session(TimeSpan maxDuration)
    {
        var time = new FakeTimeProvider(Paired);
        return (new RelayDeadline(maxDuration, () => Paired + maxDuration - time.GetUtcNow()), time);
    }

    [Fact]
    public void A_ten_minute_session_keeps_back_the_wait_and_five_seconds_and_stops_the_data_then()
    {
        var wait = TimeSpan.FromSeconds(30);
        var (deadline, time) = Session(TimeSpan.FromMinutes(10));
        Assert.Equal(TimeSpan.FromSeconds(5), deadline.Guard);
        Assert.Equal(TimeSpan.FromSeconds(35), deadline.Reserve(wait));

        time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(35) - TimeSpan.FromTicks(1));
        Assert.False(deadline.IsUp(wait));
        time.Advance(TimeSpan.FromTicks(1));
        Assert.True(deadline.IsUp(wait));
        Assert.Equal(wait, deadline.WaitWithin(wait)); // the whole wait still ends 5 s before the relay ends the session
    }

    [Fact]
    public void Late_in_the_session_the_wait_ends_at_the_guard_and_past_it_there_is_none()
    {
        var wait = TimeSpan.FromSeconds(30);
        var (deadline, time) = Session(TimeSpan.FromMinutes(10));
        time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(12));
        Assert.Equal(TimeSpan.FromSeconds(7), deadline.WaitWithin(wait));
        time.Advance(TimeSpan.FromSeconds(8));
        Assert.Equal(TimeSpan.Zero, deadline.WaitWithin(wait));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(TimeSpan.Zero, deadline.WaitWithin(wait));
    }

    [Fact]
    public void A_short_session_is_used_for_at_least_its_first_half_and_guards_an_eighth_of_it()
    {
        var wait = TimeSpan.FromSeconds(30);
        var (deadline, time) = Session(TimeSpan.FromSeconds(8));
        Assert.Equal(TimeSpan.FromSeconds(1), deadline.Guard);
        Assert.Equal(TimeSpan.FromSeconds(4), deadline.Reserve(wait));

        time.Advance(TimeSpan.FromSeconds(4) - TimeSpan.FromTicks(1));
        Assert.False(deadline.IsUp(wait));
        time.Advance(TimeSpan.FromTicks(1));
        Assert.True(deadline.IsUp(wait));
        Assert.Equal(TimeSpan.FromSeconds(3), deadline.WaitWithin(wait)); // up to the guard, not the 30 s asked for
    }
}
