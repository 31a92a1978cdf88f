using System.Net;
using System.Net.Sockets;
using Burrow.Addressing;

namespace Burrow.Connect.Punch;

/// <summary>The pure decisions of a punch: where to aim from, and when to fire.</summary>
public static class PunchPlanner
{
    public const int MaxCandidates = 8;

    /// <summary>How much later than the answer's expected arrival the punch fires, for processing and clock error.</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(30);

    /// <summary>
    /// The endpoints a peer should aim at to meet a punch from local port <paramref name="port"/>: for each IPv4
    /// endpoint, the public ports its NAT is predicted to give (see <see cref="PortPrediction"/>) at its public
    /// address — or at the address the rendezvous observed, when the address knows none — and its LAN endpoint
    /// (for a peer behind the same NAT). At most <see cref="MaxCandidates"/>.
    /// </summary>
    public static IReadOnlyList<IPEndPoint> Candidates(NodeAddress local, int port, IPEndPoint? observed)
    {
        var candidates = new List<IPEndPoint>();
        foreach (var endpoint in local.Endpoints.Where(e => e.Family == AddressFamily.InterNetwork))
        {
            var publicAddress = endpoint.PublicAddress ?? (observed?.AddressFamily == AddressFamily.InterNetwork ? observed.Address : null);
            if (publicAddress is not null)
            {
                candidates.AddRange(PortPrediction.Predict(endpoint.Nat, port, 0).Select(p => new IPEndPoint(publicAddress, p)));
            }
            if (endpoint.LanAddress is { } lan && !lan.Equals(publicAddress))
            {
                candidates.Add(new IPEndPoint(lan, port));
            }
        }
        if (candidates.Count == 0 && observed?.AddressFamily == AddressFamily.InterNetwork)
        {
            candidates.Add(new IPEndPoint(observed.Address, port));
        }
        return [.. candidates.Distinct().Take(MaxCandidates)];
    }

    /// <summary>
    /// When to fire, in the server's clock: when the answer should have reached the dialer — half of each side's
    /// round trip to the rendezvous — plus <see cref="Margin"/>.
    /// </summary>
    public static DateTimeOffset Instant(DateTimeOffset serverNow, TimeSpan dialerRoundTrip, TimeSpan ownRoundTrip) =>
        serverNow + (dialerRoundTrip + ownRoundTrip) / 2 + Margin;

    /// <summary>Converts an instant of the server's clock to a <see cref="TimeProvider"/> timestamp of this machine.</summary>
    public static long ToTimestamp(DateTimeOffset serverInstant, TimeSpan clockOffset, TimeProvider time)
    {
        var fromNow = serverInstant - clockOffset - time.GetUtcNow();
        return time.GetTimestamp() + (long)(fromNow.TotalSeconds * time.TimestampFrequency);
    }
}
