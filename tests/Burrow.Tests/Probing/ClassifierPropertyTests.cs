using System.Net;
using Burrow.Addressing;
using Burrow.Probing;
using CsCheck;

namespace Burrow.Tests.Probing;

/// <summary>Simulated NATs of every kind: the classifier names each one, with no more probes than it needs.</summary>
public class ClassifierPropertyTests
{
    private static readonly IPEndPoint Primary = IPEndPoint.Parse("198.18.0.10:3478");
    private static readonly IPEndPoint Other = IPEndPoint.Parse("198.18.0.11:3479");
    private static readonly IPAddress Public = IPAddress.Parse("198.18.1.1");

    /// <summary>Runs the classifier against a NAT that maps the n-th flow (0-based) to <paramref name="nat"/>(n).</summary>
    private static MappingVerdict Run(IPEndPoint local, Func<int, IPEndPoint> nat)
    {
        var classifier = new MappingClassifier(ProbePlan.For([(Primary, Other)]));
        for (var flow = 0; classifier.NextTarget is { } target; flow++)
            classifier.Observe(new MappingObservation(target, local, nat(flow)));
        return classifier.Verdict();
    }

    [Fact]
    public void Every_deterministic_nat_is_named_after_three_probes()
    {
        Gen.Select(Gen.Int[1024, 60000], Gen.Int[1024, 60000], Gen.Int[-16, 16].Where(d => d != 0)).Sample((localPort, publicPort, delta) =>
        {
            var local = new IPEndPoint(IPAddress.Parse("192.168.1.10"), localPort);
            var open = Run(local, _ => local);
            var preserving = Run(local, _ => new IPEndPoint(Public, localPort));
            var independent = Run(local, _ => new IPEndPoint(Public, publicPort == localPort ? publicPort + 1 : publicPort));
            var sequential = Run(local, n => new IPEndPoint(Public, publicPort + n * delta));

            Assert.Equal(NatMapping.Open, open.Mapping);
            Assert.Equal(NatMapping.PortPreserving, preserving.Mapping);
            Assert.Equal(NatMapping.EndpointIndependent, independent.Mapping);
            Assert.Equal((NatMapping.Sequential, delta), (sequential.Mapping, sequential.Delta));
            Assert.All(new[] { open, preserving, independent, sequential }, v =>
            {
                Assert.Equal(3, v.Observations.Count);
                Assert.Equal(ProbeConfidence.High, v.Confidence);
            });
        }, iter: 500);
    }

    [Fact]
    public void A_nat_with_distinct_unpatterned_ports_is_random()
    {
        Gen.Int[1024, 65535].Array[4].Where(p => p.Distinct().Count() == 4).Sample(ports =>
        {
            var deltas = ports.Zip(ports.Skip(1), (a, b) => b - a).Take(2).ToArray();
            if (deltas[0] == deltas[1] && Math.Abs(deltas[0]) <= MappingClassifier.MaxSequentialDelta)
                return;  // by chance a clean sequence: not what this property is about
            var verdict = Run(IPEndPoint.Parse("192.168.1.10:40000"), n => new IPEndPoint(Public, ports[n]));
            Assert.Equal(NatMapping.Random, verdict.Mapping);
        }, iter: 1000);
    }

    [Fact]
    public void Several_servers_are_interleaved_so_early_probes_vary_the_most()
    {
        var second = IPEndPoint.Parse("203.0.113.5:3478");
        var plan = ProbePlan.For([(Primary, Other), (second, null)]);
        Assert.Equal(["198.18.0.10:3478", "203.0.113.5:3478", "198.18.0.11:3479", "198.18.0.10:3479", "198.18.0.11:3478"],
            plan.Targets.Select(t => t.ToString()));
        Assert.Equal(3, plan.MinimumProbes);
    }
}
