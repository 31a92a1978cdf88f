using Microsoft.Extensions.Logging;

namespace Burrow.Rendezvous.Client;

internal static partial class RendezvousClientLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Registered at rendezvous {Server} as seen from {Observed}")]
    public static partial void Registered(ILogger logger, string server, string observed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rendezvous {Server} refused the registration: {Reason}")]
    public static partial void Refused(ILogger logger, string server, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rendezvous {Server} connection lost ({Reason}); retrying in {DelayMs:F0} ms")]
    public static partial void Disconnected(ILogger logger, string server, string reason, double delayMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Clock exchange with {Server}: offset {OffsetMs:F1} ms, round trip {RoundTripMs:F1} ms")]
    public static partial void ClockSampled(ILogger logger, string server, double offsetMs, double roundTripMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Signal from {Peer} dropped: the queue is full")]
    public static partial void SignalDropped(ILogger logger, string peer);
}
