namespace Burrow.Lab.Tests;

/// <summary>
/// A topology built once for a test collection and torn down after it. When the machine cannot run the lab
/// nothing is built, and <see cref="Require"/> skips (or, with BURROW_LAB_REQUIRED=1, fails) saying why.
/// </summary>
public abstract class TopologyFixture(string[] tools, Func<TopologySpec> spec) : IAsyncLifetime
{
    public Lab? Lab { get; private set; }

    /// <summary>The built lab, or a skip/failure saying why there is none.</summary>
    public Lab Require()
    {
        LabEnvironment.Require(tools);
        return Lab ?? throw new InvalidOperationException("the lab was not built");
    }

    public async ValueTask InitializeAsync()
    {
        if (LabEnvironment.Check(tools).Decision != LabDecision.Run)
            return;
        Lab = await Lab.StartAsync(spec());
        await OnBuiltAsync(Lab);
    }

    /// <summary>What to start in the built lab before the tests run (servers, daemons).</summary>
    protected virtual Task OnBuiltAsync(Lab lab) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (Lab is not null)
            await Lab.DisposeAsync();
    }
}
