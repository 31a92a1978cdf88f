namespace Burrow.Lab.Tests;

/// <summary>
/// The upnp router runs a real miniupnpd (own config, pid and lease file, in the router's
/// namespace). A LAN host asks for a TCP mapping by UPnP IGD (upnpc), NAT-PMP and PCP
/// (lab/tools/portmap.py); the server then connects to the public port, and the connection
/// must arrive at the host's listener.
/// </summary>
[Collection("lab")]
[Trait("Category", "Lab")]
public sealed class PortMappingTests(LabFixture fixture, ITestOutputHelper output)
{
    private const string Host = "upnp1";

    [Fact]
    public async Task Upnp_igd_mapping_forwards_inbound_tcp()
    {
        var lab = fixture.Require();
        var ct = TestContext.Current.CancellationToken;
        var (exit, status) = await lab.ExecAsync(Host, TimeSpan.FromSeconds(20), "upnpc", "-i", "-s");
        output.WriteLine(string.Join('\n', status.StdoutLines));
        Assert.Equal(0, exit);
        Assert.Contains($"ExternalIPAddress = {lab["upnp"].Ip}", status.StdoutLines);

        var internalPort = fixture.NextPort();
        var (addExit, add) = await lab.ExecAsync(Host, TimeSpan.FromSeconds(20),
            "upnpc", "-i", "-e", "burrow-lab", "-a", lab[Host].Ip.ToString(), $"{internalPort}", "18080", "TCP");
        output.WriteLine(string.Join('\n', add.StdoutLines));
        Assert.Equal(0, addExit);
        Assert.Contains(add.StdoutLines, line => line.Contains($"external {lab["upnp"].Ip}:18080 TCP is redirected to internal {lab[Host].Ip}:{internalPort}"));

        await AssertForwardedAsync(lab, internalPort, 18080, ct);
    }

    [Theory]
    [InlineData("natpmp", 18081)]
    [InlineData("pcp", 18082)]
    public async Task Natpmp_and_pcp_mappings_forward_inbound_tcp(string protocol, int externalPort)
    {
        var lab = fixture.Require();
        var ct = TestContext.Current.CancellationToken;
        var internalPort = fixture.NextPort();
        await using var client = lab.RunTool(Host, "portmap.py", protocol, "--gateway", lab["upnp"]["lan"]!,
            "--internal-port", $"{internalPort}", "--external-port", $"{externalPort}");
        var mapped = await client.WaitForEventAsync("mapped", TimeSpan.FromSeconds(20), cancellationToken: ct);
        output.WriteLine(mapped.ToString());
        Assert.Equal(lab["upnp"].Ip.ToString(), mapped.Get("external_ip"));
        Assert.Equal($"{externalPort}", mapped.Get("external_port"));

        await AssertForwardedAsync(lab, internalPort, externalPort, ct);
    }

    /// <summary>The server connects to the router's public port; the host's labecho must answer,
    /// having seen the server's own address (a real forward, not a proxy).</summary>
    private async Task AssertForwardedAsync(Lab lab, int internalPort, int externalPort, CancellationToken ct)
    {
        await using var listener = lab.RunTool(Host, "labecho.py", "--tcp", $"{internalPort}");
        await listener.WaitForEventAsync("ready", TimeSpan.FromSeconds(10), cancellationToken: ct);
        await using var connect = lab.RunTool("srv", "labprobe.py", "connect", $"{lab["upnp"].Ip}:{externalPort}", "--timeout", "2");
        var result = await connect.WaitForEventAsync("result", TimeSpan.FromSeconds(10), cancellationToken: ct);
        output.WriteLine(result.ToString());
        Assert.Equal("open", result.Get("outcome"));
        var accepted = await listener.WaitForEventAsync("tcp", TimeSpan.FromSeconds(5), cancellationToken: ct);
        Assert.StartsWith($"{lab.Server.Ip}:", accepted.Get("remote"));
        Assert.Equal($"{lab[Host].Ip}:{internalPort}", accepted.Get("local"));
    }
}
