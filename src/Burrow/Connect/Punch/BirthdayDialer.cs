using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Burrow.Connect.Punch;

/// <summary>
/// The birthday technique for a NAT that maps at random facing one whose mapping can be predicted (the easy
/// side). The hard side connects from <see cref="HardSockets"/> fresh local ports to the easy side's predicted
/// endpoint, so its NAT opens that many unknown public ports towards it; the easy side connects from its one
/// punch port to <see cref="EasyGuesses"/> random ports at the hard side's public address. A guess at the port
/// the hard NAT gave one of its SYNs makes the same flow through both NATs: a simultaneous open. With 512 mappings among ~64,500
/// ports and 1,024 guesses, P(hit) = 1 − (1 − 512/64512)^1024 ≈ 99.97 % (about eight hits are expected, which is
/// why the answering side keeps the connection its peer speaks on: see <see cref="PunchPick"/>). With 256
/// mappings it is ≈ 98 %: one punch in fifty would miss and go to the relay, so twice the mappings, which cost
/// the hard side no more time (its batches are twice as large), make a miss about one in 3,400. Both sides
/// pace their SYNs in batches (<see cref="Batch"/>, or <see cref="HardBatch"/>, every <see cref="BatchInterval"/>)
/// from the punch scheduler, so it is no flood. Which side sprays first is <see cref="PunchPlanner.BirthdayStarts"/>'s decision.
/// </summary>
public static class BirthdayDialer
{
    public const int HardSockets = 512;
    public const int EasyGuesses = 1024;
    public const int Batch = 32;

    /// <summary>
    /// The hard side's batch: its 512 SYNs leave within 14 ms, before the easy side starts
    /// (<see cref="PunchPlanner.BirthdayLag"/> after the instant), however short the path between them.
    /// </summary>
    public const int HardBatch = 64;

    public static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(2);

    /// <summary>How long one side's spray takes: its last batch leaves this long after its first.</summary>
    public static TimeSpan SprayDuration(int sockets, int batch = Batch) => BatchInterval * ((sockets + batch - 1) / batch - 1);

    /// <summary>
    /// The hard side: <paramref name="sockets"/> fresh local ports, aimed in turn at the easy side's
    /// <paramref name="targets"/>, from <paramref name="start"/>, one after the other (so a sequential NAT maps
    /// them in that order: this is also the sequential side's window, see <see cref="PunchRole.Sequential"/>).
    /// </summary>
    public static Task<Socket?> HardAsync(PunchScheduler scheduler, IReadOnlyList<IPEndPoint> targets, long start, long end, PunchPick pick,
        CancellationToken cancellationToken, int sockets = HardSockets) =>
        SprayAsync(scheduler, sockets, HardBatch, () => PunchDialer.Bind(new IPEndPoint(IPAddress.Any, 0)), i => targets[i % targets.Count], null,
            start, end, pick, cancellationToken);

    /// <summary>
    /// The easy side: from <paramref name="localPort"/>, guesses at the hard side's public <paramref name="address"/>
    /// from <paramref name="start"/>, and listens on that port meanwhile (behind a full-cone NAT, or none, the hard
    /// side's SYNs come straight in).
    /// </summary>
    public static Task<Socket?> EasyAsync(PunchScheduler scheduler, int localPort, IPAddress address, long start, long end, PunchPick pick,
        CancellationToken cancellationToken)
    {
        var ports = PortPrediction.BirthdayPorts(EasyGuesses, Random.Shared.Next());
        return SprayAsync(scheduler, ports.Count, Batch, () => PunchDialer.Bind(new IPEndPoint(IPAddress.Any, localPort)), i => new IPEndPoint(address, ports[i]),
            (localPort, address), start, end, pick, cancellationToken);
    }

    private static async Task<Socket?> SprayAsync(PunchScheduler scheduler, int count, int batch, Func<Socket> newSocket, Func<int, IPEndPoint> target,
        (int Port, IPAddress Peer)? listen, long start, long end, PunchPick pick, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var supply = new SocketSupply(count, newSocket, inBackground: count > batch);
        var started = new List<Task<Socket?>>(count + 1);
        using var listener = listen is { } l ? PunchDialer.Bind(new IPEndPoint(IPAddress.Any, l.Port)) : null;
        if (listener is not null)
        {
            listener.Listen(HardSockets); // a NAT that lets them in (a full cone not profiled as one) passes every SYN of the hard side's spray
            started.Add(PunchDialer.Accepted(listener, [listen!.Value.Peer], pick, stop.Token));
        }
        Socket? winner = null;
        try
        {
            var jobs = Enumerable.Range(0, (count + batch - 1) / batch).Select(b => scheduler.ScheduleAt(start + b * PunchDialer.Ticks(BatchInterval), () =>
            {
                for (var i = b * batch; i < Math.Min(count, (b + 1) * batch); i++)
                {
                    var socket = supply.Take();
                    lock (started)
                    {
                        started.Add(PunchDialer.Picked(PunchDialer.ConnectOrNullAsync(socket, target(i), stop.Token), pick, stop.Token)); // the SYN leaves inside the call
                    }
                }
            }, cancellationToken)).ToList();
            await Task.WhenAll(jobs).ConfigureAwait(false);
            List<Task<Socket?>> all;
            lock (started)
            {
                all = [.. started];
            }
            winner = await PunchDialer.FirstConnectedAsync(all, end, cancellationToken).ConfigureAwait(false);
            return winner;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            lock (started)
            {
                PunchDialer.CloseLosers(started, winner);
            }
        }
    }
}
