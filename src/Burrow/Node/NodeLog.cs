using Microsoft.Extensions.Logging;

namespace Burrow.Node;

internal static partial class NodeLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} listening on {Endpoints}")]
    public static partial void Started(ILogger logger, string nodeId, string endpoints);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to {Peer} at {Remote} via {Strategy} in {ElapsedMs:F1} ms")]
    public static partial void Connected(ILogger logger, string peer, string remote, string strategy, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Accepted {Peer} from {Remote}")]
    public static partial void Accepted(ILogger logger, string peer, string remote);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connect to {Peer} failed: {Reason}")]
    public static partial void ConnectFailed(ILogger logger, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Inbound connection from {Remote} refused: {Reason}")]
    public static partial void InboundRefused(ILogger logger, string remote, string reason);
}
