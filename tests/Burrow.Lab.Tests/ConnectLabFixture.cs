namespace Burrow.Lab.Tests;

/// <summary>
/// The connect-path topology: Burrow's rendezvous (with a relay) on the server, two port-preserving NATs that
/// drop unsolicited SYNs, one that answers them with RST, two random-port (symmetric) NATs, a sequential NAT,
/// a double NAT, two more random-port NATs whose routers also route IPv6 (no NAT there, but their firewalls
/// drop unsolicited inbound), and a host on the internet; one host behind each router.
/// </summary>
public sealed class ConnectLabFixture() : TopologyFixture(Tools, () => Spec)
{
    public const int RendezvousPort = 7390;
    public const int RelayPort = 7391;

    public static readonly string[] Tools = ["dotnet"];

    public static TopologySpec Spec => new TopologySpec().Server()
        .Router("home1", RouterTypes.NatDrop).Router("home2", RouterTypes.NatDrop)
        .Router("rst1", RouterTypes.NatRst)
        .Router("sym1", RouterTypes.Symmetric).Router("sym2", RouterTypes.Symmetric)
        .Router("dbl1", RouterTypes.Double).Router("seq1", RouterTypes.Sequential)
        .Router("six1", RouterTypes.Symmetric, "ipv6=1").Router("six2", RouterTypes.Symmetric, "ipv6=1")
        .Host("home1a", "home1").Host("home2a", "home2").Host("rst1a", "rst1")
        .Host("sym1a", "sym1").Host("sym2a", "sym2").Host("dbl1a", "dbl1").Host("seq1a", "seq1")
        .Host("six1a", "six1").Host("six2a", "six2")
        .Host("net1", TopologySpec.Internet);

    public LabProcess? Rendezvous { get; private set; }

    public LabProcess? Stun { get; private set; }

    /// <summary>Burrow's STUN server on the lab server (for <c>--stun</c>: NAT profiles in the addresses).</summary>
    public string StunEndpoint => $"{Require().Server.Ip}:{BurrowCli.StunPort}";

    public string RendezvousEndpoint => $"{Require().Server.Ip}:{RendezvousPort}";

    public string RelayEndpoint => $"{Require().Server.Ip}:{RelayPort}";

    protected override async Task OnBuiltAsync(Lab lab)
    {
        Rendezvous = BurrowCli.Run(lab, "srv", "rendezvous", "--listen", $"{lab.Server.Ip}:{RendezvousPort}",
            "--relay", $"{lab.Server.Ip}:{RelayPort}", "--ephemeral", "--json");
        await Rendezvous.WaitForEventAsync("listening", TimeSpan.FromSeconds(30));
        Stun = await BurrowCli.StartStunServerAsync(lab, CancellationToken.None);
    }
}

[CollectionDefinition("connect")]
public sealed class ConnectLabCollection : ICollectionFixture<ConnectLabFixture>;
