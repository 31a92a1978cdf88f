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
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(options.Timeout);
            var context = new ConnectContext(credentials, localAddress(), request.Requester, options, time, logger);
            var outcome = await DirectStrategy.DialAddressAsync(context, ReverseStrategy.StrategyName, initiated: false, deadline.Token).ConfigureAwait(false);
            if (outcome.Connection is { } connection)
            {
                await deliver(connection).ConfigureAwait(false);
            }
            else
            {
                ReverseLog.DialFailed(logger, signal.Source.ToShortString(), outcome.Failure ?? "failed");
                signal.Via.TrySendSignal(signal.Source, new ReverseFailure(request.Nonce, ReverseFailureReason.Unreachable).Encode());
            }
        }
        catch (OperationCanceledException)
        {
            ReverseLog.DialFailed(logger, signal.Source.ToShortString(), "timed out or stopping");
            signal.Via.TrySendSignal(signal.Source, new ReverseFailure(request.Nonce, ReverseFailureReason.Unreachable).Encode());
        }
        catch (Exception e) when (e is BurrowException or IOException or System.Net.Sockets.SocketException)
        {
            ReverseLog.DialFailed(logger, signal.Source.ToShortString(), e.Message);
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
