namespace Burrow.Cli.Transfer;

/// <summary>
/// The relay's duration limit (<see cref="Burrow.Relay.RelayLimits.MaxDuration"/>) as a sender keeps within it: it stops
/// writing file data on the relayed connection once only <see cref="Reserve"/> of the session is left — its wait for
/// the direct connection and a <see cref="Guard"/> for the move or the stop to reach the receiver, but never more than
/// half the session — and then waits at most until the guard, so that the relay never ends the session under a
/// transfer.
/// </summary>
/// <param name="maxDuration">The relay's duration limit.</param>
/// <param name="left">What is left of the session now (<see cref="Burrow.Transport.PeerConnection.RelayTimeLeft"/>).</param>
internal sealed class RelayDeadline(TimeSpan maxDuration, Func<TimeSpan> left)
{
    /// <summary>The most kept back at the end of a session beyond the wait: an eighth of the session when that is less.</summary>
    public static readonly TimeSpan MaxGuard = TimeSpan.FromSeconds(5);

    public TimeSpan MaxDuration => maxDuration;

    /// <summary>Kept back at the very end of the session.</summary>
    public TimeSpan Guard => maxDuration / 8 < MaxGuard ? maxDuration / 8 : MaxGuard;

    /// <summary>What is left of the session now.</summary>
    public TimeSpan Left => left();

    /// <summary>What the sender keeps back for a wait of up to <paramref name="wait"/>: the wait and the guard, at most half the session.</summary>
    public TimeSpan Reserve(TimeSpan wait) => wait + Guard < maxDuration / 2 ? wait + Guard : maxDuration / 2;

    /// <summary>Whether only the <see cref="Reserve"/> for <paramref name="wait"/> is left: time to stop writing on the relay.</summary>
    public bool IsUp(TimeSpan wait) => Left <= Reserve(wait);

    /// <summary>How long of <paramref name="wanted"/> the sender may still wait: up to the guard, none once past it.</summary>
    public TimeSpan WaitWithin(TimeSpan wanted)
    {
        var until = Left - Guard;
        return until <= TimeSpan.Zero ? TimeSpan.Zero : until < wanted ? until : wanted;
    }
}
