using Microsoft.Extensions.Logging;

namespace Burrow.Probing;

internal static partial class ProbingLog
{
    [LoggerMessage(Level = LogLevel.Trace, Message = "STUN request {Transaction} to {Server}")]
    public static partial void StunSent(ILogger logger, string transaction, string server);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ignored a datagram from {From}: {Reason}")]
    public static partial void StunIgnored(ILogger logger, string from, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "STUN server answering on {Endpoints}")]
    public static partial void ServerStarted(ILogger logger, string endpoints);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connect-back to {Target} from {Source}: {Outcome}")]
    public static partial void ConnectBack(ILogger logger, string target, string source, string outcome);

    [LoggerMessage(Level = LogLevel.Debug, Message = "TCP client {Remote} dropped: {Reason}")]
    public static partial void TcpClientDropped(ILogger logger, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "UDP answer to {Client} not sent: {Reason}")]
    public static partial void UdpSendFailed(ILogger logger, string client, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Mapping probe {Protocol} to {Target}: {Mapped}")]
    public static partial void MappingProbe(ILogger logger, string protocol, string target, string mapped);

    [LoggerMessage(Level = LogLevel.Information, Message = "NAT probe done in {ElapsedMs:F0} ms: TCP {Tcp}, verdict {Verdict}")]
    public static partial void ProbeDone(ILogger logger, double elapsedMs, string tcp, string verdict);
}
