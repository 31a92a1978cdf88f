using System.Net;

namespace Burrow.Lab.Tests;

/// <summary>
/// Each router type, measured from the public server, must map and filter as its type says —
/// so a kernel or tool change that silently alters a type fails here.
/// </summary>
[Collection("lab")]
[Trait("Category", "Lab")]
public sealed class RouterBehaviourTests(LabFixture fixture, ITestOutputHelper output)
{
    public static TheoryData<string> Types => [.. RouterTypes.All];

    [Theory]
    [MemberData(nameof(Types))]
    public async Task Router_type_maps_and_filters_as_declared(string type)
    {
        var lab = fixture.Require();
        var router = LabFixture.RouterOfType[type];
        var observation = await NatProbe.ObserveAsync(lab, router + "1", fixture.NextPort(), TestContext.Current.CancellationToken);
        output.WriteLine($"{type}: {observation}");

        Assert.Equal(NatBehaviour.ExpectedFor(type), observation.Behaviour);
        // the host reached the server on both addresses, seen from the router's public address
        var expectedSource = observation.Behaviour.Mapping == Mapping.NoTranslation ? lab[router + "1"].Ip : lab[router].Ip;
        Assert.All(observation.Tcp.Concat(observation.Udp), seen => Assert.Equal(expectedSource, seen.Address));
        // UDP flows are mapped the same way as TCP
        Assert.Equal(observation.Behaviour.Mapping, NatBehaviour.ClassifyMapping(observation.Local, observation.Udp).Mapping);
    }

    [Fact]
    public async Task Double_nat_goes_through_a_carrier_grade_nat_in_100_64()
    {
        var lab = fixture.Require();
        var home = lab["dbl"];
        Assert.True(IPNetwork.Parse("100.64.0.0/10").Contains(IPAddress.Parse(home["wan"]!)), $"home router WAN {home["wan"]}");
        Assert.Equal(lab["dbl-cgn"].Ip, home.Ip);
        var (exit, trace) = await lab.ExecAsync("dbl1", TimeSpan.FromSeconds(10), "ip", "route", "get", lab.Server.Ip.ToString());
        Assert.Equal(0, exit);
        output.WriteLine(string.Join('\n', trace.StdoutLines));
    }

    [Fact]
    public async Task Host_on_the_internet_is_seen_untranslated()
    {
        var lab = fixture.Require();
        var observation = await NatProbe.ObserveAsync(lab, "net1", fixture.NextPort(), TestContext.Current.CancellationToken);
        output.WriteLine(observation.ToString());
        Assert.Equal(new NatBehaviour(Mapping.NoTranslation, null, Filtering.Open), observation.Behaviour);
    }

    [Theory]
    [InlineData("cone", true)]
    [InlineData("nohp", false)]
    public async Task Hairpinning_reaches_a_neighbour_through_the_public_address_only_when_enabled(string router, bool hairpin)
    {
        var lab = fixture.Require();
        var ct = TestContext.Current.CancellationToken;
        var port = fixture.NextPort();
        await using var mapped = lab.RunTool(router + "1", "labprobe.py", ["map", "--local-port", $"{port}", "--listen", "--hold", "-1", .. NatProbe.EchoTargets(lab)[..1]]);
        var seen = (await mapped.WaitForEventAsync("mapped", TimeSpan.FromSeconds(10), cancellationToken: ct)).Get("observed")!;

        await using var neighbour = lab.RunTool(router + "2", "labprobe.py", "connect", seen, "--timeout", "1.5");
        var result = await neighbour.WaitForEventAsync("result", TimeSpan.FromSeconds(10), cancellationToken: ct);
        output.WriteLine($"{router}2 -> {seen}: {result}");

        Assert.Equal(hairpin, result.Get("outcome") == "open");
        if (hairpin)  // it arrived at the neighbour's listener, from the router's public address
            Assert.Contains($"\"remote\": \"{lab[router].Ip}:", result.Get("detail"));
    }
}
