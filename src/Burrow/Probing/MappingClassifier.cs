using System.Net;
using Burrow.Addressing;

namespace Burrow.Probing;

/// <summary>
/// The mapping half of NAT classification, as a pure state machine: a <see cref="ProbePlan"/> in,
/// observations in (one per flow, from the same local port, in the order the flows were opened), a
/// <see cref="MappingVerdict"/> out. It asks for as many probes as the verdict needs to be stable: the plan's
/// minimum, and more only while the answers disagree.
/// </summary>
public sealed class MappingClassifier(ProbePlan plan)
{
    /// <summary>The largest step between consecutive mappings still taken as sequential.</summary>
    public const int MaxSequentialDelta = 16;

    private readonly List<MappingObservation> _observations = [];

    public IReadOnlyList<MappingObservation> Observations => _observations;

    /// <summary>The server endpoint to probe next; <see langword="null"/> when the verdict is settled.</summary>
    public IPEndPoint? NextTarget =>
        IsSettled ? null : plan.Targets.FirstOrDefault(t => !_observations.Any(o => o.Target.Equals(t)));

    public bool IsDone => NextTarget is null;

    public void Observe(MappingObservation observation)
    {
        if (_observations.Any(o => o.Target.Equals(observation.Target)))
        {
            throw new InvalidOperationException($"{observation.Target} was already observed.");
        }
        _observations.Add(observation);
    }

    public MappingVerdict Verdict()
    {
        var answered = _observations.Where(o => o.Mapped is not null).ToList();
        var (mapping, delta, consistent) = Classify(answered);
        var addresses = answered.Select(o => o.Mapped!.Address).Distinct().ToList();
        var serverAddresses = answered.Select(o => o.Target.Address).Distinct().Count();
        var confidence = answered.Count switch
        {
            0 => ProbeConfidence.Low,
            _ when mapping == NatMapping.Unknown => ProbeConfidence.Low,
            >= ProbePlan.DefaultMinimumProbes when consistent && serverAddresses >= 2 && addresses.Count == 1 => ProbeConfidence.High,
            1 => ProbeConfidence.Low,
            _ => ProbeConfidence.Medium,
        };
        return new MappingVerdict(mapping, delta, addresses.FirstOrDefault(), confidence, [.. _observations], Rfc5780(answered));
    }

    private bool IsSettled
    {
        get
        {
            var answered = _observations.Where(o => o.Mapped is not null).ToList();
            return answered.Count >= plan.MinimumProbes && Classify(answered).Consistent;
        }
    }

    /// <summary>The mapping kind, and whether every observation agrees with it (a clean pattern).</summary>
    private static (NatMapping Mapping, int Delta, bool Consistent) Classify(IReadOnlyList<MappingObservation> answered)
    {
        if (answered.Count == 0)
        {
            return (NatMapping.Unknown, 0, false);
        }
        if (answered.All(o => o.Mapped!.Equals(o.Local)))
        {
            return (NatMapping.Open, 0, true);
        }
        var ports = answered.Select(o => o.Mapped!.Port).ToList();
        if (ports.Distinct().Count() == 1)
        {
            var preserving = answered.All(o => o.Mapped!.Port == o.Local.Port);
            return (preserving ? NatMapping.PortPreserving : NatMapping.EndpointIndependent, 0, true);
        }
        var steps = ports.Zip(ports.Skip(1), (a, b) => b - a).ToList();
        if (steps.All(d => d != 0 && Math.Abs(d) <= MaxSequentialDelta) && (steps.All(d => d > 0) || steps.All(d => d < 0)))
        {
            // A sequential NAT counts every new flow through it: one of this host's own (its UDP probes run
            // meanwhile) or another host's between two probes takes a port too, so steps of 1 and 2 are a NAT
            // of step 1 with a flow in between — not a random one. Every step is a multiple of the NAT's, so
            // its step is their greatest common divisor (2 and 3: step 1); uneven steps are not a clean pattern
            // (probe on while targets remain).
            var step = Math.Sign(steps[0]) * steps.Select(Math.Abs).Aggregate(Gcd);
            return (NatMapping.Sequential, step, steps.Distinct().Count() == 1);
        }
        // every flow got its own port with no pattern: random; some shared a port and some not: still
        // unpredictable for a peer, but not a clean pattern (probe on while targets remain)
        return (NatMapping.Random, 0, ports.Distinct().Count() == ports.Count);
    }

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

    /// <summary>RFC 5780 §4.3 from the flows to A1:P1, A2:P1 and A2:P2 (when all three were answered).</summary>
    private Rfc5780Mapping Rfc5780(IReadOnlyList<MappingObservation> answered)
    {
        if (answered.Count == 0 || answered.All(o => o.Mapped!.Equals(o.Local)))
        {
            return answered.Count == 0 ? Rfc5780Mapping.Unknown : Rfc5780Mapping.EndpointIndependent;
        }
        var first = answered[0].Target;
        IPEndPoint? MappedAt(Func<IPEndPoint, bool> where) => answered.FirstOrDefault(o => where(o.Target)).Mapped;
        var otherIpSamePort = MappedAt(t => !t.Address.Equals(first.Address) && t.Port == first.Port);
        var otherIpOtherPort = MappedAt(t => !t.Address.Equals(first.Address) && t.Port != first.Port);
        if (otherIpSamePort is null)
        {
            return Rfc5780Mapping.Unknown;
        }
        if (otherIpSamePort.Equals(answered[0].Mapped))
        {
            return Rfc5780Mapping.EndpointIndependent;
        }
        return otherIpOtherPort is null ? Rfc5780Mapping.Unknown
            : otherIpOtherPort.Equals(otherIpSamePort) ? Rfc5780Mapping.AddressDependent
            : Rfc5780Mapping.AddressAndPortDependent;
    }
}
