using Burrow.Addressing;
using Burrow.Connect;
using Burrow.Identity;
using Burrow.Transport;
using Microsoft.Extensions.Logging;

namespace Burrow.Relay;

/// <summary>
/// The peer's side of a relayed connection: verifies the request, goes only to a relay its own address names,
/// binds the token there and hands the connection over as an inbound one.
/// </summary>
internal sealed class RelayResponder(
    TlsCredentials credentials,
    Func<NodeAddress> localAddress,
    ConnectOptions options,
    TimeProvider time,
    ILogger logger,
    Func<PeerConnection, Task> deliver)
{
    public async Task HandleAsync(NodeId source, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (!RelayRequest.TryRead(payload.Span, credentials.Identity.NodeId, source, time.GetUtcNow(), out var request, out var error))
        {
            RelayResponderLog.Refused(logger, source.ToShortString(), error.ToString());
            return;
        }
        if (!localAddress().Relays.Contains(request.Relay))
        {
            RelayResponderLog.Refused(logger, source.ToShortString(), $"{request.Relay} is not a relay this node advertises");
            return;
        }
        await AnsweringAttempt.RunAsync(
            ct => RelaySession.RunAsync(request.Relay, request.Token, credentials, request.Dialer.NodeId, initiated: false, options, time, time.GetTimestamp(), ct),
            options.Timeout, deliver, reason => RelayResponderLog.Failed(logger, source.ToShortString(), reason), cancellationToken).ConfigureAwait(false);
    }
}

internal static partial class RelayResponderLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Relay request from {Peer} refused: {Reason}")]
    public static partial void Refused(ILogger logger, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Relayed connection with {Peer} failed: {Reason}")]
    public static partial void Failed(ILogger logger, string peer, string reason);
}
