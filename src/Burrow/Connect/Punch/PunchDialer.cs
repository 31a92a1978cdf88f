using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Burrow.Connect.Punch;

/// <summary>
/// TCP simultaneous open, the I/O half of a hole punch (thin driver; the caller owns the socket it returns).
/// From one local port it listens (an early SYN from the peer may arrive before ours leaves) and, at each slot
/// of the agreed window, connects to every candidate endpoint of the peer that has no attempt in flight; the
/// <c>connect()</c> calls are issued by the <see cref="PunchScheduler"/> at the slot instant. An attempt that is
/// reset (the peer's port was not open yet, or its NAT answers with RST) is repeated at the next slot; one
/// that is pending (a NAT dropped the SYN; the kernel retransmits) is left to complete, since a second
/// socket cannot share its four-tuple. The first connected socket — outgoing or accepted — wins; the rest are
/// closed, which never touches the winner's four-tuple. When more than one four-tuple may connect (several
/// predicted ports, the birthday technique), the two sides could each keep a different one; so only the side
/// that speaks first (the TLS client) takes the first connected socket, and the other side takes the first
/// socket its peer spoke on (<see cref="PunchPick.FirstToSpeak"/>).
/// </summary>
public static class PunchDialer
{
    public static async Task<Socket?> PunchAsync(
        PunchScheduler scheduler, IPEndPoint local, IReadOnlyList<IPEndPoint> remotes, PunchTiming timing, CancellationToken cancellationToken,
        PunchPick pick = PunchPick.FirstConnected)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(timing);
        if (remotes.Count == 0)
        {
            return null;
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var peerAddresses = remotes.Select(r => r.Address).ToHashSet();
        var listeners = new List<Socket>();
        var candidates = new List<Task<Socket?>>();
        var inFlight = new Dictionary<IPEndPoint, Task<Socket?>>();
        var interval = Ticks(timing.RetryInterval);
        var end = timing.Instant + Ticks(timing.Window);
        Socket? winner = null;
        try
        {
            // A listener on the punch port in each family the peer is aimed at (an IPv6 candidate needs an IPv6 one).
            foreach (var family in remotes.Select(r => r.AddressFamily).Distinct())
            {
                var listener = Bind(LocalFor(local, family));
                listeners.Add(listener);
                listener.Listen(16);
                candidates.Add(Accepted(listener, peerAddresses, pick, stop.Token));
            }
            for (var slot = timing.Instant; winner is null && slot < end; slot += interval)
            {
                var fresh = remotes.Where(r => !inFlight.TryGetValue(r, out var t) || t.IsCompleted)
                    .Select(r => (Remote: r, Socket: Bind(LocalFor(local, r.AddressFamily))))
                    .ToList();
                var started = new List<(IPEndPoint Remote, Task<Socket?> Connect)>(fresh.Count);
                try
                {
                    await scheduler.ScheduleAt(slot, () =>
                    {
                        foreach (var (remote, socket) in fresh)
                        {
                            started.Add((remote, ConnectOrNullAsync(socket, remote, stop.Token))); // the SYN leaves inside the call
                        }
                    }, cancellationToken).ConfigureAwait(false);
                }
                catch when (started.Count == 0)
                {
                    fresh.ForEach(f => f.Socket.Dispose()); // cancelled before the slot: nothing was started
                    throw;
                }
                foreach (var (remote, connect) in started)
                {
                    inFlight[remote] = connect;
                    candidates.Add(Picked(connect, pick, stop.Token));
                }
                winner = await FirstConnectedAsync(candidates, Math.Min(slot + interval, end), cancellationToken).ConfigureAwait(false);
            }
            return winner ??= await FirstConnectedAsync(candidates, end + interval, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            CloseLosers(candidates, winner);
            listeners.ForEach(l => l.Dispose());
        }
    }

    /// <summary>The punch port in <paramref name="family"/>: <paramref name="local"/> itself, or the wildcard of that family on its port.</summary>
    internal static IPEndPoint LocalFor(IPEndPoint local, AddressFamily family) =>
        local.AddressFamily == family ? local : new IPEndPoint(Probing.ProbeSockets.Any(family), local.Port);

    /// <summary>
    /// What the winner must have done: connected (<see cref="PunchPick.FirstConnected"/>), or connected and then
    /// received its peer's first bytes (<see cref="PunchPick.FirstToSpeak"/>; read with MSG_PEEK, so they stay
    /// for the TLS handshake). A socket that never hears from its peer is closed when the punch ends.
    /// </summary>
    internal static Task<Socket?> Picked(Task<Socket?> connecting, PunchPick pick, CancellationToken cancellationToken) =>
        pick == PunchPick.FirstConnected ? connecting : SpokenAsync(connecting, cancellationToken);

    /// <summary>
    /// The listener's candidate: its first connection from the peer (<see cref="PunchPick.FirstConnected"/>), or the
    /// first of all its connections from the peer that the peer speaks on (<see cref="PunchPick.FirstToSpeak"/>):
    /// the peer may connect several four-tuples to this port (behind a full-cone NAT, every SYN of a birthday spray
    /// comes in) and keep any one of them. The others are closed when the punch ends.
    /// </summary>
    internal static Task<Socket?> Accepted(Socket listener, HashSet<IPAddress> peers, PunchPick pick, CancellationToken cancellationToken) =>
        pick == PunchPick.FirstConnected ? AcceptFromAsync(listener, peers, cancellationToken) : FirstSpokenAcceptedAsync(listener, peers, cancellationToken);

    private static async Task<Socket?> FirstSpokenAcceptedAsync(Socket listener, HashSet<IPAddress> peers, CancellationToken cancellationToken)
    {
        var following = new List<Task<Socket?>>();
        Task<Socket?>? accepting = AcceptFromAsync(listener, peers, cancellationToken);
        try
        {
            while (accepting is not null || following.Count > 0)
            {
                var done = await Task.WhenAny(accepting is null ? following : [.. following, accepting]).ConfigureAwait(false);
                if (done == accepting)
                {
                    accepting = null;
                    if (done.Result is not null)
                    {
                        following.Add(SpokenAsync(done, cancellationToken));
                        accepting = AcceptFromAsync(listener, peers, cancellationToken);
                    }
                }
                else if (following.Remove(done) && done.Result is { } spoken)
                {
                    return spoken;
                }
            }
            return null;
        }
        finally
        {
            // Whatever is still accepting or waiting ends when the punch does (the token); close what it yields.
            CloseLosers(accepting is null ? following : [.. following, accepting], winner: null);
        }
    }

    private static async Task<Socket?> SpokenAsync(Task<Socket?> connecting, CancellationToken cancellationToken)
    {
        if (await connecting.ConfigureAwait(false) is not { } socket)
        {
            return null;
        }
        try
        {
            var probe = new byte[1];
            if (await socket.ReceiveAsync(probe, SocketFlags.Peek, cancellationToken).ConfigureAwait(false) > 0)
            {
                return socket;
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // closed, reset, or the punch is over
        }
        socket.Dispose();
        return null;
    }

    /// <summary>Closes every socket the candidates yield, now or later, except the winner's (closing a SYN_SENT socket sends nothing).</summary>
    internal static void CloseLosers(IEnumerable<Task<Socket?>> candidates, Socket? winner)
    {
        foreach (var loser in candidates)
        {
            _ = loser.ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully && t.Result is { } socket && socket != winner)
                {
                    socket.Dispose();
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>A socket on the punch port: address and port reuse, so the listener and every attempt share it (IPv6 sockets are IPv6-only).</summary>
    internal static Socket Bind(IPEndPoint local) => Probing.ProbeSockets.Bind(local, SocketType.Stream);

    /// <summary>Waits until a candidate yields a socket or <paramref name="until"/> (a Stopwatch timestamp) passes.</summary>
    internal static async Task<Socket?> FirstConnectedAsync(List<Task<Socket?>> candidates, long until, CancellationToken cancellationToken)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), until);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
        var expired = Task.Delay(Timeout.Infinite, timeout.Token);
        while (true)
        {
            if (candidates.FirstOrDefault(c => c.IsCompletedSuccessfully && c.Result is not null) is { } done)
            {
                return done.Result;
            }
            var open = candidates.Where(c => !c.IsCompleted).ToList();
            var first = await Task.WhenAny([.. open, expired]).ConfigureAwait(false);
            if (first == expired)
            {
                cancellationToken.ThrowIfCancellationRequested();
                return null;
            }
        }
    }

    internal static async Task<Socket?> ConnectOrNullAsync(Socket socket, IPEndPoint remote, CancellationToken cancellationToken)
    {
        try
        {
            await socket.ConnectAsync(remote, cancellationToken).ConfigureAwait(false);
            if (!Equals(socket.LocalEndPoint, socket.RemoteEndPoint))
            {
                return socket;
            }
            // A dial to our own address and port reaches this very socket (TCP self-connect): no peer is there.
            socket.Dispose();
            return null;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            socket.Dispose(); // reset, unreachable or given up: the next slot tries again with a fresh socket
            return null;
        }
    }

    internal static async Task<Socket?> AcceptFromAsync(Socket listener, HashSet<IPAddress> peers, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var socket = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
                if (socket.RemoteEndPoint is IPEndPoint from && peers.Contains(from.Address))
                {
                    socket.NoDelay = true;
                    return socket;
                }
                socket.Dispose(); // not the peer we are punching to
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return null;
        }
    }

    internal static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}

/// <summary>Which connected socket a side of a punch keeps (see <see cref="PunchDialer"/>).</summary>
public enum PunchPick
{
    /// <summary>The first to connect: the side that speaks first (the TLS client).</summary>
    FirstConnected,

    /// <summary>The first on which the peer spoke: the side that answers (the TLS server).</summary>
    FirstToSpeak,
}
