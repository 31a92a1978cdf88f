using System.Net;
using System.Text.Json;

namespace Burrow.Lab.Tests;

/// <summary>One namespace of a built topology, as reported by lab.sh ({"event":"node",...}).</summary>
/// <param name="Properties">Everything lab.sh reported, e.g. ip, ip2, wan, lan, lannet,
/// router, gateway, type, nat, filter, hairpin, impairment.</param>
public sealed record LabNode(string Name, string Kind, string Namespace, IReadOnlyDictionary<string, string> Properties)
{
    /// <summary>The node's address: a host's own, a router's public (WAN) one, the server's first.</summary>
    public IPAddress Ip => IPAddress.Parse(Properties["ip"]);

    /// <summary>The server's second address (RFC 5780-style tests).</summary>
    public IPAddress Ip2 => IPAddress.Parse(Properties["ip2"]);

    public string? this[string key] => Properties.GetValueOrDefault(key);

    public static LabNode FromEvent(JsonElement json)
    {
        var properties = json.EnumerateObject()
            .Where(p => p.Name != "event")
            .ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
        return new LabNode(properties["name"], properties["kind"], properties["ns"], properties);
    }
}
