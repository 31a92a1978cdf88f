using System.Net;

namespace Burrow.Probing;

/// <summary>
/// Which server endpoints the mapping probes go to, in order. From a server's primary endpoint A1:P1 and its
/// RFC 5780 other address A2:P2 the order is A1:P1, A2:P2, A1:P2, A2:P1 — so the first three flows already
/// differ in address and in port, which is what tells the mapping kinds apart.
/// </summary>
public sealed record ProbePlan(IReadOnlyList<IPEndPoint> Targets, int MinimumProbes)
{
    /// <summary>Three flows give two port deltas: the fewest that tell sequential from random.</summary>
    public const int DefaultMinimumProbes = 3;

    public static IReadOnlyList<IPEndPoint> TargetsOf(IPEndPoint primary, IPEndPoint? other) =>
        other is null || other.Address.Equals(primary.Address) || other.Port == primary.Port
            ? [primary]
            : [primary, other, new IPEndPoint(primary.Address, other.Port), new IPEndPoint(other.Address, primary.Port)];

    /// <summary>A plan over several servers: each one's endpoints, interleaved so early probes vary the most.</summary>
    public static ProbePlan For(IReadOnlyList<(IPEndPoint Primary, IPEndPoint? Other)> servers, int minimumProbes = DefaultMinimumProbes)
    {
        var perServer = servers.Select(s => TargetsOf(s.Primary, s.Other)).ToList();
        var targets = new List<IPEndPoint>();
        for (var i = 0; perServer.Any(t => i < t.Count); i++)
        {
            targets.AddRange(perServer.Where(t => i < t.Count).Select(t => t[i]).Where(t => !targets.Contains(t)));
        }
        return new ProbePlan(targets, Math.Min(minimumProbes, targets.Count));
    }
}
