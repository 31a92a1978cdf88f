using System.Reflection;

namespace Burrow.Lab.Tests;

/// <summary>
/// Lab tests skip (with the reason) where the lab cannot run, and fail instead when
/// BURROW_LAB_REQUIRED=1, so CI can never pass without running them.
/// </summary>
public sealed class SkipPolicyTests(ITestOutputHelper output)
{
    [Fact]
    public void Root_with_all_tools_runs()
    {
        Assert.Equal((LabDecision.Run, null), LabEnvironment.Decide(isRoot: true, [], required: true));
    }

    [Fact]
    public void Without_root_a_lab_test_skips_saying_why()
    {
        var (decision, message) = LabEnvironment.Decide(isRoot: false, [], required: false);
        Assert.Equal(LabDecision.Skip, decision);
        Assert.Contains("need root", message);
        Assert.Contains("BURROW_LAB_REQUIRED=1", message);
    }

    [Fact]
    public void Missing_tools_skip_and_name_the_installer()
    {
        var (decision, message) = LabEnvironment.Decide(isRoot: true, ["miniupnpd"], required: false);
        Assert.Equal(LabDecision.Skip, decision);
        Assert.Contains("miniupnpd", message);
        Assert.Contains("lab/install-deps.sh", message);
    }

    [Fact]
    public void When_required_a_skip_becomes_a_failure()
    {
        var (decision, message) = LabEnvironment.Decide(isRoot: false, ["nft"], required: true);
        Assert.Equal(LabDecision.Fail, decision);
        Assert.Contains("need root", message);
        Assert.Contains("nft", message);
    }

    /// <summary>End to end: this test assembly, run as "not root" (xunit's own console mode,
    /// one lab test), skips it with the reason — or fails it when BURROW_LAB_REQUIRED=1.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Unprivileged_run_skips_or_fails_when_required(bool required)
    {
        var assembly = Assembly.GetExecutingAssembly().Location;
        var apphost = Path.ChangeExtension(assembly, null);
        List<string> args = File.Exists(apphost) ? [] : ["exec", assembly];
        args.AddRange(["-method", $"{typeof(LifecycleTests).FullName}.{nameof(LifecycleTests.Failed_build_tears_down_what_it_built)}", "-noColor", "-noLogo"]);
        var environment = new Dictionary<string, string?>
        {
            [LabEnvironment.PretendUnprivilegedVariable] = "1",
            [LabEnvironment.RequiredVariable] = required ? "1" : null,
        };
        await using var run = new LabProcess(File.Exists(apphost) ? apphost : "dotnet", args, environment: environment);
        var exit = await run.WaitForExitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        var text = string.Join('\n', run.StdoutLines.Concat(run.StderrLines));
        output.WriteLine($"exit {exit}\n{text}");

        if (required)
        {
            Assert.NotEqual(0, exit);
            Assert.Contains("[FAIL]", text);
            Assert.Contains("BURROW_LAB_REQUIRED=1 but the NAT lab cannot run: lab tests need root", text);
        }
        else
        {
            Assert.Equal(0, exit);
            Assert.Contains("[SKIP]", text);
            Assert.Contains("NAT lab skipped: lab tests need root", text);
            Assert.Contains("Failed: 0, Skipped: 1", text);
        }
    }
}
