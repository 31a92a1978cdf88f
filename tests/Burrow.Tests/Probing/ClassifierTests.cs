using System.Net;
using Burrow.Addressing;
using Burrow.Probing;
using Burrow.Probing.Stun;

namespace Burrow.Tests.Probing;

/// <summary>The pure classification: a plan, observations, a verdict — every verdict, no sockets.</summary>
public class ClassifierTests
{
    private static readonly IPEndPoint Primary = IPEndPoint.Parse("198.18.0.10:3478");
    private static readonly IPEndPoint Other = IPEndPoint.Parse("198.18.0.11:3479");
    private static readonly IPEndPoint Local = IPEndPoint.Parse("192.168.1.10:40000");
    private static readonly IPAddress Public = IPAddress.Parse("198.18.1.1");

    private static ProbePlan Plan => ProbePlan.For([(Primary, Other)]);

    /// <summary>Runs the state machine: probes whatever it asks for, answering with <paramref name="ports"/> in turn.</summary>
    private static MappingVerdict Run(IPEndPoint local, IPAddress publicAddress, params int?[] ports)
    {
        var classifier = new MappingClassifier(Plan);
        var i = 0;
        while (classifier.NextTarget is { } target)
        {
            Assert.True(i < ports.Length, $"asked for probe {i + 1}, only {ports.Length} scripted");
            var port = ports[i++];
            classifier.Observe(new MappingObservation(target, local, port is { } p ? new IPEndPoint(publicAddress, p) : null));
        }
        Assert.Equal(ports.Length, i);  // used every scripted answer: no more and no fewer probes than needed
        return classifier.Verdict();
    }

    [Fact]
    public void Plan_varies_address_and_port_in_the_first_three_probes()
    {
        Assert.Equal(["198.18.0.10:3478", "198.18.0.11:3479", "198.18.0.10:3479", "198.18.0.11:3478"], Plan.Targets.Select(t => t.ToString()));
        Assert.Equal(3, Plan.MinimumProbes);
        Assert.Equal([Primary], ProbePlan.For([(Primary, null)]).Targets);
    }

    [Fact]
    public void Seen_as_itself_is_open()
    {
        var verdict = Run(Local, Local.Address, 40000, 40000, 40000);
        Assert.Equal(NatMapping.Open, verdict.Mapping);
        Assert.Equal(ProbeConfidence.High, verdict.Confidence);
        Assert.Equal(Rfc5780Mapping.EndpointIndependent, verdict.Rfc5780);
    }

    [Fact]
    public void Same_port_as_local_is_port_preserving()
    {
        var verdict = Run(Local, Public, 40000, 40000, 40000);
        Assert.Equal(NatMapping.PortPreserving, verdict.Mapping);
        Assert.Equal(Public, verdict.PublicAddress);
        Assert.Equal(ProbeConfidence.High, verdict.Confidence);
    }

    [Fact]
    public void Same_other_port_everywhere_is_endpoint_independent()
    {
        var verdict = Run(Local, Public, 51000, 51000, 51000);
        Assert.Equal(NatMapping.EndpointIndependent, verdict.Mapping);
        Assert.Equal(ProbeConfidence.High, verdict.Confidence);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-1)]
    [InlineData(16)]
    public void Constant_small_step_is_sequential_with_its_delta(int delta)
    {
        var verdict = Run(Local, Public, 23000, 23000 + delta, 23000 + 2 * delta);
        Assert.Equal(NatMapping.Sequential, verdict.Mapping);
        Assert.Equal(delta, verdict.Delta);
        Assert.Equal(ProbeConfidence.High, verdict.Confidence);
    }

    [Theory]
    [InlineData(new[] { 22108, 22109, 22111 }, 1)]          // seen in the lab: the host's own UDP probe took 22110
    [InlineData(new[] { 22108, 22110, 22111, 22112 }, 1)]
    [InlineData(new[] { 30000, 29998, 29994 }, -2)]
    [InlineData(new[] { 100, 102, 105 }, 1)]                 // a step-2 NAT cannot make +3: the step is their gcd
    public void Steps_of_one_sign_with_gaps_are_sequential_with_the_greatest_common_step(int[] ports, int delta)
    {
        var classifier = new MappingClassifier(Plan with { MinimumProbes = ports.Length });
        foreach (var (target, port) in Plan.Targets.Zip(ports))
            classifier.Observe(new MappingObservation(target, Local, new IPEndPoint(Public, port)));
        var verdict = classifier.Verdict();
        Assert.Equal(NatMapping.Sequential, verdict.Mapping);
        Assert.Equal(delta, verdict.Delta);
        Assert.Equal(ProbeConfidence.Medium, verdict.Confidence); // not a clean pattern
    }

    [Theory]
    [InlineData(new[] { 22108, 22109, 22108 })]              // back and forth
    [InlineData(new[] { 22108, 22109, 22130 })]              // a jump past the sequential range
    public void Steps_that_turn_back_or_jump_far_are_not_sequential(int[] ports)
    {
        var classifier = new MappingClassifier(Plan with { MinimumProbes = ports.Length });
        foreach (var (target, port) in Plan.Targets.Zip(ports))
            classifier.Observe(new MappingObservation(target, Local, new IPEndPoint(Public, port)));
        Assert.Equal(NatMapping.Random, classifier.Verdict().Mapping);
    }

    [Fact]
    public void Unpatterned_ports_are_random()
    {
        var verdict = Run(Local, Public, 31337, 5012, 60111);
        Assert.Equal(NatMapping.Random, verdict.Mapping);
        Assert.Equal(ProbeConfidence.High, verdict.Confidence);
        Assert.Equal(Rfc5780Mapping.Unknown, verdict.Rfc5780);  // A2:P1 not probed: not needed for the verdict
    }

    [Fact]
    public void A_large_constant_step_is_random_not_sequential()
    {
        Assert.Equal(NatMapping.Random, Run(Local, Public, 20000, 20256, 20512).Mapping);
    }

    [Fact]
    public void Disagreeing_answers_take_every_target_then_say_random_with_medium_confidence()
    {
        // address-dependent mapping: same port towards one server address, a new one towards the other
        var verdict = Run(Local, Public, 40000, 41234, 40000, 41234);
        Assert.Equal(NatMapping.Random, verdict.Mapping);
        Assert.Equal(ProbeConfidence.Medium, verdict.Confidence);
        Assert.Equal(Rfc5780Mapping.AddressDependent, verdict.Rfc5780);
    }

    [Fact]
    public void Rfc5780_address_and_port_dependent_from_all_four_flows()
    {
        var classifier = new MappingClassifier(Plan with { MinimumProbes = 4 });
        int[] ports = [40000, 40001, 40002, 40003];   // A1:P1, A2:P2, A1:P2, A2:P1
        foreach (var (target, port) in Plan.Targets.Zip(ports))
            classifier.Observe(new MappingObservation(target, Local, new IPEndPoint(Public, port)));
        Assert.True(classifier.IsDone);
        var verdict = classifier.Verdict();
        Assert.Equal(NatMapping.Sequential, verdict.Mapping);
        Assert.Equal(Rfc5780Mapping.AddressAndPortDependent, verdict.Rfc5780);
    }

    [Fact]
    public void No_answer_at_all_is_unknown_with_low_confidence()
    {
        var verdict = Run(Local, Public, null, null, null, null);
        Assert.Equal(NatMapping.Unknown, verdict.Mapping);
        Assert.Equal(ProbeConfidence.Low, verdict.Confidence);
        Assert.Null(verdict.PublicAddress);
    }

    [Fact]
    public void A_single_server_without_other_address_gives_a_low_confidence_verdict()
    {
        var classifier = new MappingClassifier(ProbePlan.For([(Primary, null)]));
        classifier.Observe(new MappingObservation(Primary, Local, new IPEndPoint(Public, 40000)));
        Assert.True(classifier.IsDone);
        Assert.Equal(new { Mapping = NatMapping.PortPreserving, Confidence = ProbeConfidence.Low },
            new { classifier.Verdict().Mapping, classifier.Verdict().Confidence });
    }

    [Fact]
    public void Observing_a_target_twice_is_a_programming_error()
    {
        var classifier = new MappingClassifier(Plan);
        classifier.Observe(new MappingObservation(Primary, Local, null));
        Assert.Throws<InvalidOperationException>(() => classifier.Observe(new MappingObservation(Primary, Local, null)));
    }

    [Theory]
    [InlineData(ConnectBackOutcome.Open, NatFiltering.Open, ProbeConfidence.High)]
    [InlineData(ConnectBackOutcome.Reset, NatFiltering.Resets, ProbeConfidence.High)]
    [InlineData(ConnectBackOutcome.Dropped, NatFiltering.Drops, ProbeConfidence.Medium)]
    [InlineData(ConnectBackOutcome.NotTried, NatFiltering.Unknown, ProbeConfidence.Low)]
    [InlineData(null, NatFiltering.Unknown, ProbeConfidence.Low)]
    public void Tcp_filtering_from_the_connect_back(ConnectBackOutcome? outcome, NatFiltering filtering, ProbeConfidence confidence)
    {
        var verdict = FilteringVerdict.FromConnectBack(outcome);
        Assert.Equal((filtering, confidence), (verdict.Filtering, verdict.Confidence));
    }

    [Theory]
    [InlineData(true, null, NatFiltering.Open, Rfc5780Filtering.EndpointIndependent)]
    [InlineData(false, true, NatFiltering.Drops, Rfc5780Filtering.AddressDependent)]
    [InlineData(false, false, NatFiltering.Drops, Rfc5780Filtering.AddressAndPortDependent)]
    [InlineData(null, null, NatFiltering.Unknown, Rfc5780Filtering.Unknown)]
    public void Udp_filtering_per_rfc5780(bool? changeBoth, bool? changePort, NatFiltering filtering, Rfc5780Filtering rfc)
    {
        var verdict = FilteringVerdict.FromChangeRequests(changeBoth, changePort);
        Assert.Equal((filtering, rfc), (verdict.Filtering, verdict.Rfc5780));
    }

    [Theory]
    [InlineData(NatMapping.Open, NatFiltering.Open, Connectivity.ReachableDirectly)]
    [InlineData(NatMapping.PortPreserving, NatFiltering.Open, Connectivity.ReachableDirectly)]
    [InlineData(NatMapping.Open, NatFiltering.Drops, Connectivity.Punchable)]
    [InlineData(NatMapping.PortPreserving, NatFiltering.Drops, Connectivity.Punchable)]
    [InlineData(NatMapping.PortPreserving, NatFiltering.Resets, Connectivity.Punchable)]
    [InlineData(NatMapping.EndpointIndependent, NatFiltering.Drops, Connectivity.Punchable)]
    [InlineData(NatMapping.Sequential, NatFiltering.Drops, Connectivity.Punchable)]
    [InlineData(NatMapping.Sequential, NatFiltering.Open, Connectivity.Punchable)]
    [InlineData(NatMapping.Random, NatFiltering.Drops, Connectivity.NeedsRelay)]
    [InlineData(NatMapping.Unknown, NatFiltering.Unknown, Connectivity.NeedsRelay)]
    public void Connectivity_from_tcp_mapping_and_filtering(NatMapping mapping, NatFiltering filtering, Connectivity expected)
    {
        var verdict = new NatVerdict(new MappingVerdict(mapping, 0, Public, ProbeConfidence.High, []), new FilteringVerdict(filtering, ProbeConfidence.High), null, null);
        Assert.Equal(expected, verdict.Connectivity);
        Assert.Equal(new NatBehavior(mapping, filtering), verdict.Behavior);
    }
}
