namespace Burrow.Lab.Tests;

/// <summary>
/// The shared topology of the behaviour tests, built once for the "lab" collection: the server
/// (running labecho.py), one router of each type with a host behind it, a few variants
/// (hairpin off, impaired WANs, deliberately misconfigured routers) and a host on the internet.
/// When the machine cannot run the lab nothing is built and <see cref="TopologyFixture.Require"/> skips (or fails).
/// </summary>
public sealed class LabFixture() : TopologyFixture(Tools, () => Spec)
{
    /// <summary>Tools the shared topology needs on top of <see cref="LabEnvironment.BaseTools"/>.</summary>
    public static readonly string[] Tools = ["miniupnpd", "upnpc", "turnserver"];

    /// <summary>The router (and host, "&lt;router&gt;1") of each type in <see cref="Spec"/>.</summary>
    public static readonly IReadOnlyDictionary<string, string> RouterOfType = new Dictionary<string, string>
    {
        [RouterTypes.Open] = "open",
        [RouterTypes.Firewall] = "fw",
        [RouterTypes.NatDrop] = "home",
        [RouterTypes.NatRst] = "rst",
        [RouterTypes.Symmetric] = "sym",
        [RouterTypes.Sequential] = "seq",
        [RouterTypes.FullCone] = "cone",
        [RouterTypes.Double] = "dbl",
        [RouterTypes.Upnp] = "upnp",
    };

    public static TopologySpec Spec
    {
        get
        {
            var spec = new TopologySpec().Server();
            foreach (var (type, router) in RouterOfType)
                spec.Router(router, type, type == RouterTypes.FullCone ? ["hairpin=1"] : []);
            spec.Router("nohp", RouterTypes.FullCone, "hairpin=0")
                .Router("liarrst", RouterTypes.NatDrop, "filter=rst")     // declared nat-drop, answers RST
                .Router("liarrnd", RouterTypes.NatDrop, "nat=random")     // declared nat-drop, maps randomly
                .Router("slow", RouterTypes.NatDrop, "delay=100")
                .Router("lossy", RouterTypes.NatDrop, "loss=30");
            foreach (var router in RouterOfType.Values.Concat(["nohp", "liarrst", "liarrnd", "slow", "lossy"]))
                spec.Host(router + "1", router);
            return spec.Host("cone2", "cone").Host("nohp2", "nohp").Host("net1", TopologySpec.Internet);
        }
    }

    private int _nextPort = 40000;

    public LabProcess? Echo { get; private set; }

    /// <summary>A fresh local port for each observation (no stale conntrack entries).</summary>
    public int NextPort() => Interlocked.Increment(ref _nextPort);

    protected override async Task OnBuiltAsync(Lab lab) => Echo = await NatProbe.StartEchoAsync(lab);
}

[CollectionDefinition("lab")]
public sealed class LabCollection : ICollectionFixture<LabFixture>;
