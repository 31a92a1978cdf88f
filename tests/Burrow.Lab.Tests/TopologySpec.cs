namespace Burrow.Lab.Tests;

/// <summary>Router types the lab can build (see lab/lib/types.sh and docs/lab.md).</summary>
public static class RouterTypes
{
    public const string Open = "open";
    public const string Firewall = "firewall";
    public const string NatDrop = "nat-drop";
    public const string NatRst = "nat-rst";
    public const string Symmetric = "symmetric";
    public const string Sequential = "sequential";
    public const string FullCone = "full-cone";
    public const string Double = "double";
    public const string Upnp = "upnp";

    public static readonly string[] All = [Open, Firewall, NatDrop, NatRst, Symmetric, Sequential, FullCone, Double, Upnp];
}

/// <summary>
/// A topology to build: the text format of lab/lab.sh (one declaration per line).
/// Declare the server first, then routers, then hosts.
/// </summary>
public sealed class TopologySpec
{
    /// <summary>Pass as a host's router to put it directly on the internet.</summary>
    public const string Internet = "internet";

    private readonly List<string> _lines = [];

    public TopologySpec Server()
    {
        _lines.Add("server");
        return this;
    }

    /// <summary>A router of <paramref name="type"/>; options are key=value overrides:
    /// nat=none|preserve|random|sequential, filter=open|drop|rst, cone=0|1, hairpin=0|1,
    /// delay=MS, jitter=MS, loss=PERCENT.</summary>
    public TopologySpec Router(string name, string type, params string[] options)
    {
        _lines.Add(string.Join(' ', new[] { "router", name, type }.Concat(options)));
        return this;
    }

    public TopologySpec Host(string name, string router)
    {
        _lines.Add($"host {name} {router}");
        return this;
    }

    public static TopologySpec Parse(string text)
    {
        var spec = new TopologySpec();
        spec._lines.AddRange(text.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0 && !line.StartsWith('#')));
        return spec;
    }

    public IReadOnlyList<string> Lines => _lines;

    public override string ToString() => string.Join('\n', _lines) + "\n";
}
