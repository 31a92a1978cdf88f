namespace Burrow.Tests.Cli;

/// <summary>
/// <c>burrow portmap</c> usage errors: refused before any packet is sent (these tests must never reach a real
/// gateway; the protocol paths are proven in the NAT lab).
/// </summary>
public class PortmapCliTests
{
    [Theory(Timeout = 60_000)]
    [InlineData("add", "0")]
    [InlineData("add", "70000")]
    [InlineData("add", "8080", "--protocol", "sctp")]
    [InlineData("add", "8080", "--lifetime", "0")]
    [InlineData("add", "8080", "--method", "carrier-pigeon")]
    [InlineData("probe", "--gateway", "not-an-ip")]
    [InlineData("list", "--gateway", "999.1.1.1")]
    public async Task Bad_usage_exits_2_with_a_usage_error_event(params string[] arguments)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cli = CliProcess.Start(["portmap", .. arguments, "--json"]);
        var error = await cli.NextEventAsync("error", ct);
        Assert.Equal("usage", error["code"]!.GetValue<string>());
        Assert.Equal(2, await cli.WaitForExitAsync(ct));
    }
}
