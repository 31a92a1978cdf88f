using Burrow.Addressing;
using Burrow.Rendezvous.Client;
using Burrow.Transport;
using Microsoft.Extensions.Logging;

namespace Burrow.Connect.Reverse;

/// <summary>
/// The peer's side of a reverse connect: verifies a request (signature, address, target, sender, age, replay),
/// then dials only the endpoints of the requester's signed address, requiring the requester's key over TLS,
/// and hands the connection over as an inbound one. At most a few such dials run at once.
/// </summary>
internal sealed class ReverseResponder(
    TlsCredentials credentials,
    Func<NodeAddress> localAddress,
    ConnectOptions options,
    TimeProvider time,
    ILogger logger,
    Func<PeerConnection, Task> deliver,
    int maxConcurrentDials = 8)
{
    private readonly NonceCache _nonces = new(ReverseRequest.MaxAge * 2);
    private readonly SemaphoreSlim _dials = new(maxConcurrentDials);

    /// <summary>Handles one signal; every outcome (refused, failed, delivered) is logged, never thrown.</summary>
    public async Task HandleAsync(IncomingSignal signal, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var self = credentials.Identity.NodeId;
        if (!ReverseRequest.TryRead(signal.Payload.Span, self, signal.Source, now, out var request, out var error))
        {
            ReverseLog.Refused(logger, signal.Source.ToShortString(), error.ToString());
            return;
        }
        if (!_nonces.TryAdd(request.Nonce.Span, now))
        {
            ReverseLog.Refused(logger, signal.Source.ToShortString(), "replayed");
            return;
        }
        if (!await _dials.WaitAsync(0, cancellationToken).ConfigureAwait(false))
        {
            ReverseLog.Refused(logger, signal.Source.ToShortString(), "too many reverse connects at once");
            signal.Via.TrySendSignal(signal.Source, new ReverseFailure(request.Nonce, ReverseFailureReason.Busy).Encode());
            return;
        }
        try
        {
            var context = new ConnectContext(credentials, localAddress(), request.Requester, options, time, logger);
            await AnsweringAttempt.RunAsync(
                ct => DirectStrategy.DialAddressAsync(context, ReverseStrategy.StrategyName, initiated: false, ct), options.Timeout, deliver,
                reason =>
                {
                    ReverseLog.DialFailed(logger, signal.Source.ToShortString(), reason);
                    signal.Via.TrySendSignal(signal.Source, new ReverseFailure(request.Nonce, ReverseFailureReason.Unreachable).Encode());
                },
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _dials.Release();
        }
    }
}

internal static partial class ReverseLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Reverse-connect request from {Peer} refused: {Reason}")]
    public static partial void Refused(ILogger logger, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reverse connect to {Peer} failed: {Reason}")]
    public static partial void DialFailed(ILogger logger, string peer, string reason);
}
