using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Burrow.Addressing;
using Burrow.Identity;
using Burrow.Transport;
using Microsoft.Extensions.Logging;

namespace Burrow.Connect.Punch;

/// <summary>
/// The part of a punch both sides run once they know where to aim and when: simultaneous open from the
/// reserved port, then the TLS handshake (neither side accepted in the usual sense: the dialer is the TLS client,
/// see <see cref="TlsRoles.ForSimultaneousOpen"/>), requiring the peer's key. Both ends report the strategy <c>punch</c>.
/// </summary>
internal static class PunchSession
{
    /// <param name="upgrade">Set when the initiator (the TLS client) makes the connection to replace a relayed one.</param>
    public static async Task<AttemptOutcome> RunAsync(
        PunchScheduler scheduler, PunchPlan plan, TlsCredentials credentials, NodeId remote, ConnectOptions options, TimeProvider time, long startedAt,
        bool initiated, UpgradeTag? upgrade, ILogger logger, CancellationToken cancellationToken)
    {
        var (role, port, remotes, instant, lag) = plan;
        var timing = new PunchTiming(instant, PunchTiming.DefaultWindow, PunchTiming.DefaultRetryInterval);
        var (start, end) = (instant + PunchDialer.Ticks(lag), instant + PunchDialer.Ticks(timing.Window));
        // The TLS client (the initiator) speaks first on the socket it keeps; the other side keeps that one.
        var pick = initiated ? PunchPick.FirstConnected : PunchPick.FirstToSpeak;
        if (remotes.Count == 0)
        {
            return AttemptOutcome.Failed("the peer offered no endpoint this side can aim at");
        }
        var socket = role switch
        {
            PunchRole.Hard => await BirthdayDialer.HardAsync(scheduler, remotes, start, end, pick, cancellationToken).ConfigureAwait(false),
            PunchRole.Easy => await BirthdayDialer.EasyAsync(scheduler, port, remotes[0].Address, start, end, pick, cancellationToken).ConfigureAwait(false),
            PunchRole.Sequential => await BirthdayDialer.HardAsync(scheduler, remotes, start, end, pick, cancellationToken, PortPrediction.DefaultSequentialWindow).ConfigureAwait(false),
            _ => await PunchDialer.PunchAsync(scheduler, new IPEndPoint(IPAddress.Any, port), remotes, timing, cancellationToken, pick).ConfigureAwait(false),
        };
        if (socket is null)
        {
            return AttemptOutcome.Failed($"no connection to {string.Join(", ", remotes)} within the {timing.Window.TotalSeconds:0.#} s punch window ({role})");
        }
        var connectedAt = Stopwatch.GetTimestamp();
        try
        {
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            handshake.CancelAfter(options.HandshakeTimeout);
            var tlsRole = TlsRoles.ForSimultaneousOpen(initiated);
            var (ssl, remoteId) = await PeerHandshake.AuthenticateAsync(new NetworkStream(socket, ownsSocket: false), credentials, tlsRole, remote,
                tlsRole == TlsRole.Client ? upgrade : null, handshake.Token).ConfigureAwait(false);
            PunchLog.Punched(logger, remote.ToShortString(), role, Milliseconds(startedAt, instant), Milliseconds(instant, connectedAt),
                Stopwatch.GetElapsedTime(connectedAt).TotalMilliseconds, socket.RemoteEndPoint?.ToString() ?? "?");
            return AttemptOutcome.Connected(new PeerConnection(socket, ssl, remoteId, PunchStrategy.StrategyName, time.GetElapsedTime(startedAt), initiated));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            return AttemptOutcome.Failed($"punched through to {socket.RemoteEndPoint}, but the TLS handshake timed out");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static double Milliseconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    /// <summary>
    /// For a NAT whose next port follows from the last (see <see cref="PortPrediction.NeedsObservation"/>): the
    /// public port of a flow opened from the punch port just now, through <paramref name="observer"/>; 0 when
    /// there is nothing to observe or nobody to ask (the prediction then falls back on what the profile says).
    /// </summary>
    public static async Task<int> ObserveMappedPortAsync(IMappingObserver? observer, NodeAddress local, int port, CancellationToken cancellationToken)
    {
        if (observer is null || !local.Endpoints.Any(e => e.Family == AddressFamily.InterNetwork && PortPrediction.NeedsObservation(e.Nat)))
        {
            return 0;
        }
        return (await observer.ObserveAsync(new IPEndPoint(IPAddress.Any, port), cancellationToken).ConfigureAwait(false))?.Port ?? 0;
    }

    /// <summary>Holds a fresh local port for the punch, on IPv6 too when <paramref name="local"/> has a global IPv6 endpoint to offer.</summary>
    public static PunchPort ReservePort(NodeAddress local) => PunchPort.Reserve(NetworkRelation.GlobalIPv6(local).Any());
}
