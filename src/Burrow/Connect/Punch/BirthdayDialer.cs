using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Burrow.Connect.Punch;

/// <summary>
/// The birthday technique for a NAT that maps at random facing one whose mapping can be predicted (the easy
/// side). The hard side connects from <see cref="HardSockets"/> fresh local ports to the easy side's predicted
/// endpoint, so its NAT opens that many unknown public ports towards it; the easy side connects from its one
/// punch port to <see cref="EasyGuesses"/> random ports at the hard side's public address. A guess that hits an
/// open mapping meets the hard side's SYN_SENT socket: a simultaneous open. With 256 mappings among ~64,500
/// ports and 1,024 guesses, P(hit) = 1 − (1 − 256/64512)^1024 ≈ 98 %. Both sides pace their SYNs in batches
/// (<see cref="Batch"/> every <see cref="BatchInterval"/>) from the punch scheduler, so it is no flood.
/// </summary>
public static class BirthdayDialer
{
    public const int HardSockets = 256;
    public const int EasyGuesses = 1024;
    public const int Batch = 32;
    public static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(2);

    /// <summary>How long after the instant the easy side starts guessing, so that the hard side's mappings exist.</summary>
    public static readonly TimeSpan EasyLag = TimeSpan.FromMilliseconds(30);

    /// <summary>The hard side: many local ports, all aimed at the easy side's <paramref name="targets"/>.</summary>
    public static Task<Socket?> HardAsync(PunchScheduler scheduler, IReadOnlyList<IPEndPoint> targets, long instant, TimeSpan window, CancellationToken cancellationToken)
    {
        var attempts = Enumerable.Range(0, HardSockets)
            .Select(i => (Socket: PunchDialer.Bind(new IPEndPoint(IPAddress.Any, 0)), Target: targets[i % targets.Count]))
            .ToList();
        return SprayAsync(scheduler, attempts, instant, window, cancellationToken);
    }

    /// <summary>The easy side: from <paramref name="localPort"/>, guesses at the hard side's public <paramref name="address"/>.</summary>
    public static Task<Socket?> EasyAsync(PunchScheduler scheduler, int localPort, IPAddress address, long instant, TimeSpan window, CancellationToken cancellationToken)
    {
        var ports = PortPrediction.BirthdayPorts(EasyGuesses, Random.Shared.Next());
        var attempts = ports.Select(port => (Socket: PunchDialer.Bind(new IPEndPoint(IPAddress.Any, localPort)), Target: new IPEndPoint(address, port))).ToList();
        return SprayAsync(scheduler, attempts, instant + PunchDialer.Ticks(EasyLag), window, cancellationToken);
    }

    private static async Task<Socket?> SprayAsync(PunchScheduler scheduler, List<(Socket Socket, IPEndPoint Target)> attempts, long instant, TimeSpan window,
        CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var started = new List<Task<Socket?>>(attempts.Count);
        var launched = new HashSet<Socket>();
        Socket? winner = null;
        try
        {
            var batches = attempts.Chunk(Batch).ToList();
            var jobs = batches.Select((batch, i) => scheduler.ScheduleAt(instant + i * PunchDialer.Ticks(BatchInterval), () =>
            {
                foreach (var (socket, target) in batch)
                {
                    lock (started)
                    {
                        launched.Add(socket);
                        started.Add(PunchDialer.ConnectOrNullAsync(socket, target, stop.Token)); // the SYN leaves inside the call
                    }
                }
            }, cancellationToken)).ToList();
            await Task.WhenAll(jobs).ConfigureAwait(false);
            List<Task<Socket?>> all;
            lock (started)
            {
                all = [.. started];
            }
            winner = await PunchDialer.FirstConnectedAsync(all, instant + PunchDialer.Ticks(window), cancellationToken).ConfigureAwait(false);
            return winner;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            lock (started)
            {
                PunchDialer.CloseLosers(started, winner);
                foreach (var (socket, _) in attempts.Where(a => !launched.Contains(a.Socket)))
                {
                    socket.Dispose(); // never started (cancelled before its batch)
                }
            }
        }
    }
}
