using Microsoft.Extensions.Logging;

namespace Burrow.PortMapping;

internal static partial class PortMapLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Port mapping: {Mapping}")]
    public static partial void Mapped(ILogger logger, string mapping);

    [LoggerMessage(Level = LogLevel.Information, Message = "Port mapping: none ({Reason}: {Detail})")]
    public static partial void NoMapping(ILogger logger, string reason, string detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Port mapping probe {Method}: {Available} in {ElapsedMs:F1} ms ({Detail})")]
    public static partial void Probed(ILogger logger, string method, bool available, double elapsedMs, string detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Port mapping renewed: {Mapping}")]
    public static partial void Renewed(ILogger logger, string mapping);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Port mapping changed ({Why}); re-mapping: {Mapping}")]
    public static partial void Remapping(ILogger logger, string why, string mapping);

    [LoggerMessage(Level = LogLevel.Information, Message = "Port mapping deleted: {Mapping}")]
    public static partial void Deleted(ILogger logger, string mapping);

    [LoggerMessage(Level = LogLevel.Error, Message = "Port mapping NOT deleted, remove it by hand: {Mapping} ({Reason})")]
    public static partial void DeleteFailed(ILogger logger, string mapping, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "UPnP {Action} refused with {Code} ({Description}); {Next}")]
    public static partial void UpnpError(ILogger logger, string action, int code, string description, string next);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Port mapping loop failed")]
    public static partial void LoopFailed(ILogger logger, Exception exception);
}
