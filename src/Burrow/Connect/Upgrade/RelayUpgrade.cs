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
    /// <summary>
    /// The first byte on a direct connection made to replace a relayed one, sent by the side that made it once it
    /// chose that connection (a direct dial and a punch may both get through; the race keeps one and closes the
    /// other without it). The other side hands over only a connection that carries it.
    /// </summary>
    public const byte Chosen = 0x01;

    /// <summary>The other side: true once <see cref="Chosen"/> arrived within <paramref name="timeout"/>; false if the peer closed it or sent anything else.</summary>
    public static async Task<bool> ConfirmedAsync(PeerConnection direct, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var first = new byte[1];
        try
        {
            return await direct.Stream.ReadAsync(first, deadline.Token).ConfigureAwait(false) == 1 && first[0] == Chosen;
        }
        catch (IOException)
        {
            return false; // closed hard (the race's loser) or broken
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false; // silent until the timeout
        }
    }

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
                    if (!await TryConfirmAsync(direct, stop.Token).ConfigureAwait(false))
                    {
                        await direct.DisposeAsync().ConfigureAwait(false);
                        RelayUpgradeLog.AttemptFailed(logger, peer, i + 1, delays.Count, "the direct connection broke before it was confirmed");
                        continue;
                    }
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

    /// <summary>The initiator: tells the peer this is the connection it keeps; false when it broke at once.</summary>
    private static async Task<bool> TryConfirmAsync(PeerConnection direct, CancellationToken cancellationToken)
    {
        try
        {
            await direct.Stream.WriteAsync(new[] { Chosen }, cancellationToken).ConfigureAwait(false);
            await direct.Stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (IOException)
        {
            return false; // it broke at once: the peer will not take it either
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
