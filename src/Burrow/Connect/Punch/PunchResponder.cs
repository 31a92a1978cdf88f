using Burrow.Addressing;
using Burrow.Identity;
using Burrow.Transport;
using Microsoft.Extensions.Logging;

namespace Burrow.Connect.Punch;

/// <summary>
/// The peer's side of a punch: verifies the offer (signed by the key of the address it carries, from that
/// node, recent), reserves a port, answers with its own candidates and an instant, and punches at that
/// instant; a connection is handed over as an inbound one. At most a few punches run at once.
/// </summary>
internal sealed class PunchResponder(
    TlsCredentials credentials,
    Func<NodeAddress> localAddress,
    ConnectOptions options,
    PunchScheduler scheduler,
    IMappingObserver? observer,
    ILogger logger,
    Func<PeerConnection, Task> deliver,
    int maxConcurrentPunches = 8)
{
    private readonly SemaphoreSlim _punches = new(maxConcurrentPunches);

    /// <summary>Handles one offer; every outcome (refused, failed, delivered) is logged, never thrown.</summary>
    /// <param name="receivedAt">When the offer was read off the rendezvous connection (a Stopwatch timestamp).</param>
    public async Task HandleAsync(ISignalingChannel channel, NodeId source, ReadOnlyMemory<byte> payload, long receivedAt, CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        var startedAt = time.GetTimestamp();
        var queuedMs = time.GetElapsedTime(receivedAt, startedAt).TotalMilliseconds;
        if (!PunchOffer.TryRead(payload.Span, credentials.Identity.NodeId, source, time.GetUtcNow(), out var offer, out var error))
        {
            PunchLog.Refused(logger, source.ToShortString(), error.ToString());
            return;
        }
        if (!await _punches.WaitAsync(0, cancellationToken).ConfigureAwait(false))
        {
            PunchLog.Refused(logger, source.ToShortString(), "too many punches at once");
            return;
        }
        try
        {
            var local = localAddress();
            using var reservation = PunchSession.ReservePort(local);
            var port = reservation.Number;
            var lastMapped = await PunchSession.ObserveMappedPortAsync(observer, local, port, cancellationToken).ConfigureAwait(false);
            var candidates = PunchPlanner.Candidates(local, port, channel.ObservedEndPoint, lastMapped, reservation.IPv6);
            var clock = channel.Clock ?? (TimeSpan.Zero, TimeSpan.Zero);
            var serverInstant = PunchPlanner.Instant(time.GetUtcNow() + clock.Offset, offer.RoundTrip, clock.RoundTrip);
            var answer = PunchAnswer.Create(credentials.Identity, offer.Dialer.NodeId, offer.Envelope.Nonce.Span, time.GetUtcNow(), candidates, serverInstant);
            if (candidates.Count == 0 || !channel.TrySend(source, answer))
            {
                PunchLog.Failed(logger, source.ToShortString(), candidates.Count == 0 ? "no IPv4 endpoint to offer" : "the rendezvous connection is down");
                return;
            }
            PunchLog.Answering(logger, source.ToShortString(), queuedMs, time.GetElapsedTime(startedAt).TotalMilliseconds,
                (serverInstant - clock.Offset - time.GetUtcNow()).TotalMilliseconds);
            var plan = PunchPlan.For(local, offer.Dialer, port, candidates, offer.Candidates, PunchPlanner.ToTimestamp(serverInstant, clock.Offset, time));
            await AnsweringAttempt.RunAsync(
                ct => PunchSession.RunAsync(scheduler, plan, credentials, offer.Dialer.NodeId, options, time, startedAt, initiated: false, upgrade: null, logger, ct),
                options.Timeout, deliver, reason => PunchLog.Failed(logger, source.ToShortString(), reason), cancellationToken).ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            PunchLog.Failed(logger, source.ToShortString(), $"no punch port: {e.Message}"); // reserving the port failed
        }
        finally
        {
            _punches.Release();
        }
    }
}

internal static partial class PunchLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Punch offer from {Peer} refused: {Reason}")]
    public static partial void Refused(ILogger logger, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Punch with {Peer} failed: {Reason}")]
    public static partial void Failed(ILogger logger, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Punched {Peer} ({Role}) at {Remote}: instant {InstantMs:F1} ms after the start, TCP connected {ConnectMs:F1} ms after the instant, TLS {TlsMs:F1} ms")]
    public static partial void Punched(ILogger logger, string peer, PunchRole role, double instantMs, double connectMs, double tlsMs, string remote);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Punch offer to {Peer} sent {Ms:F1} ms after the start (strategy started at {StartedMs:F1} ms, rendezvous ready at {ReadyMs:F1} ms, port observed at {ObservedMs:F1} ms, offer signed at {SignedMs:F1} ms)")]
    public static partial void Offered(ILogger logger, string peer, double ms, double startedMs, double readyMs, double observedMs, double signedMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Punch offer from {Peer} (handled {QueuedMs:F1} ms after it was read) answered in {AnswerMs:F1} ms; the instant is {LeadMs:F1} ms later")]
    public static partial void Answering(ILogger logger, string peer, double queuedMs, double answerMs, double leadMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Punch answer from {Peer} {AnswerMs:F1} ms after the start (read {QueuedMs:F1} ms before); the instant is {LeadMs:F1} ms after it")]
    public static partial void Answered(ILogger logger, string peer, double answerMs, double queuedMs, double leadMs);
}
