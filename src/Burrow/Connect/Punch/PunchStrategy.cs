using System.Security.Cryptography;

namespace Burrow.Connect.Punch;

/// <summary>
/// TCP hole punch, the dialer's side: reserve a port, offer the peer (through a rendezvous both use, signed)
/// the endpoints its NAT is predicted to give that port, take the peer's answer — its endpoints and the
/// instant, in the rendezvous server's clock — and connect at that instant while the peer does the same.
/// </summary>
public sealed class PunchStrategy : IConnectStrategy
{
    public const string StrategyName = "punch";

    /// <summary>How long the peer has to answer an offer.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);

    private readonly IReadOnlyList<ISignalingChannel> _channels;
    private readonly PunchAnswers _answers;
    private readonly PunchScheduler _scheduler;
    private readonly IMappingObserver? _observer;

    internal PunchStrategy(IReadOnlyList<ISignalingChannel> channels, PunchAnswers answers, PunchScheduler scheduler, IMappingObserver? observer = null) =>
        (_channels, _answers, _scheduler, _observer) = (channels, answers, scheduler, observer);

    public string Name => StrategyName;

    public async Task<AttemptOutcome> TryConnectAsync(ConnectContext context, CancellationToken cancellationToken)
    {
        var startedMs = context.Time.GetElapsedTime(context.StartedAt).TotalMilliseconds;
        var remote = context.Remote;
        if (context.LocalAddress is not { } local)
        {
            return AttemptOutcome.Failed("this node has no address to offer the peer");
        }
        if (_channels.FirstOrDefault(c => remote.Rendezvous.Contains(c.Server)) is not { } channel)
        {
            return AttemptOutcome.Failed("no rendezvous in common with the peer");
        }
        await channel.WaitReadyAsync(cancellationToken).ConfigureAwait(false);
        var readyMs = context.Time.GetElapsedTime(context.StartedAt).TotalMilliseconds;
        using var reservation = PunchSession.ReservePort(local);
        var port = reservation.Number;
        var lastMapped = await PunchSession.ObserveMappedPortAsync(_observer, local, port, cancellationToken).ConfigureAwait(false);
        var observedMs = context.Time.GetElapsedTime(context.StartedAt).TotalMilliseconds;
        var candidates = PunchPlanner.Candidates(local, port, channel.ObservedEndPoint, lastMapped, reservation.IPv6);
        if (candidates.Count == 0)
        {
            return AttemptOutcome.Failed("this node knows no IPv4 endpoint a peer could aim at");
        }
        var nonce = RandomNumberGenerator.GetBytes(Signals.SignedSignal.NonceSize);
        using var waiting = _answers.Add(nonce);
        var offer = PunchOffer.Create(context.Local.Identity, local, remote.NodeId, nonce, TimeProvider.System.GetUtcNow(),
            channel.Clock?.RoundTrip ?? TimeSpan.Zero, candidates);
        var signedMs = context.Time.GetElapsedTime(context.StartedAt).TotalMilliseconds;
        if (!channel.TrySend(remote.NodeId, offer))
        {
            return AttemptOutcome.Failed($"the connection to the rendezvous {channel.Server} is down");
        }
        PunchLog.Offered(context.Logger, remote.NodeId.ToShortString(), context.Time.GetElapsedTime(context.StartedAt).TotalMilliseconds, startedMs, readyMs, observedMs, signedMs);
        ReadOnlyMemory<byte> payload;
        long receivedAt;
        try
        {
            (payload, receivedAt) = await waiting.Answer.WaitAsync(AnswerTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return AttemptOutcome.Failed($"the peer did not answer the punch offer within {AnswerTimeout.TotalSeconds:0} s");
        }
        if (!PunchAnswer.TryRead(payload.Span, remote.PublicKey, local.NodeId, nonce, TimeProvider.System.GetUtcNow(), out var answer, out var error))
        {
            return AttemptOutcome.Failed($"the punch answer was refused ({error})");
        }
        // The scheduler runs on this machine's monotonic clock, whatever clock the node was given.
        var instant = PunchPlanner.ToTimestamp(answer.Instant, channel.Clock?.Offset ?? TimeSpan.Zero, TimeProvider.System);
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        PunchLog.Answered(context.Logger, remote.NodeId.ToShortString(), context.Time.GetElapsedTime(context.StartedAt).TotalMilliseconds,
            System.Diagnostics.Stopwatch.GetElapsedTime(receivedAt, now).TotalMilliseconds, System.Diagnostics.Stopwatch.GetElapsedTime(now, instant).TotalMilliseconds);
        var plan = PunchPlan.For(local, remote, port, candidates, answer.Candidates, instant);
        return await PunchSession.RunAsync(_scheduler, plan, context.Local, remote.NodeId, context.Options, context.Time, context.StartedAt,
            initiated: true, context.Upgrade, context.Logger, cancellationToken).ConfigureAwait(false);
    }
}
