using System.Net.Sockets;
using System.Text.Json.Nodes;
using Burrow.Addressing;
using Burrow.Connect;

namespace Burrow.Cli.Output;

/// <summary>Every field of an address, in words (for <c>burrow address explain</c>).</summary>
internal static class AddressExplanation
{
    public static IReadOnlyList<(string Field, string Value, string Meaning)> Rows(NodeAddress address, DateTimeOffset now)
    {
        var validity = address.CheckValidity(now);
        var rows = new List<(string, string, string)>
        {
            ("node id", address.NodeId.ToString(), "SHA-256 of the node's public key: who you reach, checked in the TLS handshake"),
            ("public key", address.PublicKey.ToString(), "P-256, compressed; it signs this address"),
            ("signature", "valid", "the node signed every field below; nobody altered them"),
            ("issued", address.IssuedAt.ToString("u"), "when the node made this address"),
            ("expires", address.ExpiresAt.ToString("u"), validity switch
            {
                AddressError.Expired => "EXPIRED: ask the peer for a fresh address",
                AddressError.NotYetValid => "NOT YET VALID: a clock is wrong",
                _ => $"valid for {Human(address.ExpiresAt - now)} more",
            }),
            ("size", $"{address.ToString().Length} characters, {address.Record.Length} bytes", "base58 text with a checksum"),
        };
        if (address.Endpoints.Count == 0)
        {
            rows.Add(("endpoints", "none", "the node does not listen: it can only be reached by connecting out (later: via rendezvous)"));
        }
        for (var i = 0; i < address.Endpoints.Count; i++)
        {
            var e = address.Endpoints[i];
            var name = $"endpoint {i + 1}";
            rows.Add((name, e.Family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4", ""));
            if (e.LanAddress is not null)
            {
                rows.Add(("  LAN address", $"{e.LanAddress}", $"on the node's own interface ({IpScope.Of(e.LanAddress).ToString().ToLowerInvariant()} scope)"));
            }
            if (e.PublicAddress is not null)
            {
                rows.Add(("  public address", $"{e.PublicAddress}", "as seen from outside"));
            }
            rows.Add(("  listen port", e.ListenPort == 0 ? "none" : $"{e.ListenPort}", "the TCP port the node accepts peers on"));
            rows.Add(("  mapped port", e.MappedPort == 0 ? "none" : $"{e.MappedPort}", e.MappedPort == 0 ? "no port forward" : $"forwarded to the listen port, obtained by {Method(e.MappingMethod)}"));
            rows.Add(("  NAT mapping", Mapping(e.Nat), "how the NAT picks public ports for outgoing connections"));
            rows.Add(("  NAT filtering", Filtering(e.Nat.Filtering), "what happens to a connection attempt nobody asked for"));
        }
        rows.AddRange(address.Rendezvous.Select(r => ("rendezvous", r.ToString(), "where the node can be signaled")));
        rows.AddRange(address.Relays.Select(r => ("relay", r.ToString(), "a last-resort relay for the node")));
        var targets = DialTargets.From(address);
        rows.Add(("dial order", targets.Count == 0 ? "none" : string.Join(", ", targets), "what `burrow connect` tries directly, first to last"));
        return rows;
    }

    public static JsonObject Json(NodeAddress address, DateTimeOffset now) => new()
    {
        ["nodeId"] = address.NodeId.ToString(),
        ["publicKey"] = address.PublicKey.ToString(),
        ["issuedAt"] = address.IssuedAt.ToString("O"),
        ["expiresAt"] = address.ExpiresAt.ToString("O"),
        ["validity"] = address.CheckValidity(now) switch
        {
            AddressError.Expired => "expired",
            AddressError.NotYetValid => "not-yet-valid",
            _ => "valid",
        },
        ["characters"] = address.ToString().Length,
        ["bytes"] = address.Record.Length,
        ["endpoints"] = new JsonArray([.. address.Endpoints.Select(e => (JsonNode)new JsonObject
        {
            ["family"] = e.Family == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4",
            ["lanAddress"] = e.LanAddress?.ToString(),
            ["publicAddress"] = e.PublicAddress?.ToString(),
            ["listenPort"] = e.ListenPort,
            ["mappedPort"] = e.MappedPort,
            ["mappingMethod"] = Method(e.MappingMethod),
            ["natMapping"] = Kebab(e.Nat.Mapping.ToString()),
            ["natDelta"] = e.Nat.Delta,
            ["natFiltering"] = Kebab(e.Nat.Filtering.ToString()),
        })]),
        ["rendezvous"] = new JsonArray([.. address.Rendezvous.Select(r => (JsonNode)r.ToString())]),
        ["relays"] = new JsonArray([.. address.Relays.Select(r => (JsonNode)r.ToString())]),
        ["dialOrder"] = new JsonArray([.. DialTargets.From(address).Select(t => (JsonNode)t.ToString())]),
    };

    private static string Method(MappingMethod method) => method switch
    {
        MappingMethod.None => "none",
        MappingMethod.Manual => "manual",
        MappingMethod.Upnp => "upnp",
        MappingMethod.NatPmp => "nat-pmp",
        MappingMethod.Pcp => "pcp",
        _ => $"unknown ({(byte)method})",
    };

    private static string Mapping(NatBehavior nat) => nat.Mapping switch
    {
        NatMapping.Unknown => "unknown (not profiled)",
        NatMapping.Open => "open: no translation",
        NatMapping.PortPreserving => "port-preserving: public port = local port",
        NatMapping.EndpointIndependent => "endpoint-independent: one public port per local port",
        NatMapping.Sequential => $"sequential: each new mapping is the previous port {nat.Delta:+#;-#;0}",
        NatMapping.Random => "random: unpredictable public ports",
        _ => $"unknown ({(byte)nat.Mapping})",
    };

    private static string Filtering(NatFiltering filtering) => filtering switch
    {
        NatFiltering.Unknown => "unknown (not profiled)",
        NatFiltering.Open => "open: let through",
        NatFiltering.Drops => "drops it silently",
        NatFiltering.Resets => "answers with a reset (RST)",
        _ => $"unknown ({(byte)filtering})",
    };

    private static string Kebab(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private static string Human(TimeSpan span) =>
        span.TotalDays >= 2 ? $"{span.TotalDays:F0} days" : span.TotalHours >= 2 ? $"{span.TotalHours:F0} hours" : $"{Math.Max(0, span.TotalMinutes):F0} minutes";
}
