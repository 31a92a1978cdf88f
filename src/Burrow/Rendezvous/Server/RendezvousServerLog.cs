using Microsoft.Extensions.Logging;

namespace Burrow.Rendezvous.Server;

internal static partial class RendezvousServerLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Rendezvous {NodeId} listening on {Endpoint}")]
    public static partial void Started(ILogger logger, string nodeId, string endpoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Registered {Peer} from {Remote}")]
    public static partial void Registered(ILogger logger, string peer, string remote);

    [LoggerMessage(Level = LogLevel.Information, Message = "Registration of {Peer} from {Remote} refused: {Reason}")]
    public static partial void Refused(ILogger logger, string peer, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection from {Remote} closed: {Reason}")]
    public static partial void Closed(ILogger logger, string remote, string reason);
}
