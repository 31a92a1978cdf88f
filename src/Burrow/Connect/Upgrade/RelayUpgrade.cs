using Burrow.Transport;
using Microsoft.Extensions.Logging;

namespace Burrow.Connect.Upgrade;

/// <summary>
/// The background attempt to replace a relayed connection with a direct one, run by the node that asked for the
/// relay (the peer only answers, so the two never punch at each other twice). After each delay of
/// <see cref="ConnectOptions.UpgradeAfter"/> it runs the upgrade plan once; the first direct connection is
/// handed to the relayed one (<see cref="PeerConnection.UpgradeAsync"/>). It stops when the relayed connection
/// is disposed or the node stops; when every attempt failed, the relayed connection learns there will be none.
/// </summary>
internal static class RelayUpgrade
{
    /// <param name="connect">One attempt: connects as an upgrade of the relayed connection with that tag, or throws <see cref="ConnectFailedException"/>.</param>
    public static async Task RunAsync(PeerConnection relayed, IReadOnlyList<TimeSpan> delays, TimeProvider time,
        Func<UpgradeTag, CancellationToken, Task<PeerConnection>> connect, ILogger logger, CancellationToken cancellationToken)
    {
        if (relayed.RelayTag is not { } tag)
        {
            return;
        }
        var peer = relayed.RemoteId.ToShortString();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, relayed.Closed);
        try
        {
            for (var i = 0; i < delays.Count; i++)
            {
                await Task.Delay(delays[i], time, stop.Token).ConfigureAwait(false);
                try
                {
                    var direct = await connect(tag, stop.Token).ConfigureAwait(false);
                    if (relayed.TryUpgrade(direct))
                    {
                        RelayUpgradeLog.Upgraded(logger, peer, direct.Strategy, i + 1, direct.Elapsed.TotalMilliseconds);
                    }
                    else
                    {
                        await direct.DisposeAsync().ConfigureAwait(false); // the relayed connection was closed meanwhile
                    }
                    return;
                }
                catch (ConnectFailedException e)
                {
                    RelayUpgradeLog.AttemptFailed(logger, peer, i + 1, delays.Count, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // the relayed connection was closed, or the node is stopping
        }
        finally
        {
            relayed.EndUpgrade();
        }
    }
}

internal static partial class RelayUpgradeLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Relayed connection with {Peer} upgraded: {Strategy} at attempt {Attempt}, in {ElapsedMs:F1} ms")]
    public static partial void Upgraded(ILogger logger, string peer, string strategy, int attempt, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Upgrade of the relayed connection with {Peer}: attempt {Attempt} of {Attempts} failed: {Reason}")]
    public static partial void AttemptFailed(ILogger logger, string peer, int attempt, int attempts, string reason);
}
