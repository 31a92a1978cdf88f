namespace Burrow.Lab.Tests;

/// <summary>
/// The behaviour tests must be able to fail: routers declared as one type but built with a
/// wrong knob are measured with the same probe, and the classifier must say they do not match.
/// </summary>
[Collection("lab")]
[Trait("Category", "Lab")]
public sealed class MisconfiguredRouterTests(LabFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Router_declared_silent_drop_but_answering_RST_is_caught()
    {
        var lab = fixture.Require();
        Assert.Equal(RouterTypes.NatDrop, lab["liarrst"]["type"]);
        var observation = await NatProbe.ObserveAsync(lab, "liarrst1", fixture.NextPort(), TestContext.Current.CancellationToken);
        output.WriteLine(observation.ToString());

        Assert.NotEqual(NatBehaviour.ExpectedFor(RouterTypes.NatDrop), observation.Behaviour);
        Assert.Equal(Filtering.Rst, observation.Behaviour.Filtering);
    }

    [Fact]
    public async Task Router_declared_port_preserving_but_mapping_randomly_is_caught()
    {
        var lab = fixture.Require();
        Assert.Equal(RouterTypes.NatDrop, lab["liarrnd"]["type"]);
        var observation = await NatProbe.ObserveAsync(lab, "liarrnd1", fixture.NextPort(), TestContext.Current.CancellationToken);
        output.WriteLine(observation.ToString());

        Assert.NotEqual(NatBehaviour.ExpectedFor(RouterTypes.NatDrop), observation.Behaviour);
        Assert.Equal(Mapping.Random, observation.Behaviour.Mapping);
    }
}
