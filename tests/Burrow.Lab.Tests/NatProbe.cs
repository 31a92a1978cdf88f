using System.Net;

namespace Burrow.Lab.Tests;

/// <summary>What the probe saw for one host: the classification and the raw observations.</summary>
public sealed record NatObservation(NatBehaviour Behaviour, IPEndPoint Local, IReadOnlyList<IPEndPoint> Tcp, IReadOnlyList<IPEndPoint> Udp, string ConnectBack)
{
    public override string ToString() =>
        $"{Behaviour} local {Local}; tcp seen as [{string.Join(", ", Tcp)}]; udp seen as [{string.Join(", ", Udp)}]; connect-back: {ConnectBack}";
}

/// <summary>
/// Measures a router's behaviour from the outside, RFC 5780-style, with lab/tools:
/// the host opens flows from one local port to both server addresses and two ports each
/// (labecho.py on the server reports the source it saw), then the server's second address
/// connects back to the first mapping. Needs <see cref="StartEchoAsync"/> on the server.
/// </summary>
public static class NatProbe
{
    public const int EchoPort1 = 7001;
    public const int EchoPort2 = 7002;

    /// <summary>Starts labecho.py (TCP and UDP on <see cref="EchoPort1"/> and <see cref="EchoPort2"/>) on the server.</summary>
    public static async Task<LabProcess> StartEchoAsync(Lab lab, CancellationToken cancellationToken = default)
    {
        // bound to each address, so UDP answers leave from the address that was asked
        var echo = lab.RunTool("srv", "labecho.py", "--bind", $"{lab.Server.Ip}", "--bind", $"{lab.Server.Ip2}", "--tcp", $"{EchoPort1}", "--tcp", $"{EchoPort2}", "--udp", $"{EchoPort1}", "--udp", $"{EchoPort2}");
        await echo.WaitForEventAsync("ready", TimeSpan.FromSeconds(10), cancellationToken: cancellationToken);
        return echo;
    }

    public static string[] EchoTargets(Lab lab) =>
    [
        $"{lab.Server.Ip}:{EchoPort1}", $"{lab.Server.Ip}:{EchoPort2}",
        $"{lab.Server.Ip2}:{EchoPort1}", $"{lab.Server.Ip2}:{EchoPort2}",
    ];

    public static async Task<NatObservation> ObserveAsync(Lab lab, string host, int localPort, CancellationToken cancellationToken = default)
    {
        var local = new IPEndPoint(lab[host].Ip, localPort);
        var timeout = TimeSpan.FromSeconds(20);

        await using var tcp = lab.RunTool(host, "labprobe.py", ["map", "--local-port", $"{localPort}", "--listen", "--hold", "-1", .. EchoTargets(lab)]);
        await tcp.WaitForEventAsync("done", timeout, cancellationToken: cancellationToken);
        var tcpSeen = Observed(tcp, "tcp");

        // connect back to the first mapping from the server's *other* address
        await using var back = lab.RunTool("srv", "labprobe.py", "connect", $"{tcpSeen[0]}", "--bind", $"{lab.Server.Ip2}", "--timeout", "1.5");
        var result = await back.WaitForEventAsync("result", timeout, cancellationToken: cancellationToken);
        tcp.CloseStdin();

        await using var udp = lab.RunTool(host, "labprobe.py", ["map", "--udp", "--local-port", $"{localPort}", .. EchoTargets(lab)]);
        await udp.WaitForEventAsync("done", timeout, cancellationToken: cancellationToken);
        var udpSeen = Observed(udp, "udp");

        var (mapping, delta) = NatBehaviour.ClassifyMapping(local, tcpSeen);
        var behaviour = new NatBehaviour(mapping, delta, NatBehaviour.ParseFiltering(result.Get("outcome")));
        return new NatObservation(behaviour, local, tcpSeen, udpSeen, $"{result.Get("outcome")} ({result.Get("detail")})");
    }

    private static List<IPEndPoint> Observed(LabProcess probe, string what)
    {
        var errors = probe.EventsNamed("error").ToList();
        if (errors.Count > 0)
            throw new InvalidOperationException($"{what} probe could not reach the server: {string.Join("; ", errors)}");
        return probe.EventsNamed("mapped").Select(e => IPEndPoint.Parse(e.Get("observed")!)).ToList();
    }
}
