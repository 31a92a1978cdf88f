using System.Net.Sockets;
using System.Text.Json.Nodes;
using Burrow.Addressing;
using Burrow.Probing;
using Spectre.Console;

namespace Burrow.Cli.Output;

/// <summary>How <c>burrow probe</c> shows a report: a table for people, events with <c>--json</c>.</summary>
internal static class ProbeOutput
{
    public static void Show(Reporter reporter, ProbeReport report)
    {
        foreach (var family in report.Families)
        {
            var verdict = family.Verdict;
            reporter.Event("probed", new JsonObject
            {
                ["family"] = FamilyName(family.Family),
                ["localAddress"] = family.LocalAddress.ToString(),
                ["localPort"] = family.LocalPort,
                ["tcp"] = Protocol(verdict.TcpMapping, verdict.TcpFiltering),
                ["udp"] = verdict.UdpMapping is { } udp ? Protocol(udp, verdict.UdpFiltering ?? FilteringVerdict.Unknown) : null,
                ["hairpin"] = verdict.Hairpin,
                ["connectivity"] = NatVerdict.Describe(verdict.Connectivity),
                ["confidence"] = Name(verdict.Confidence),
                ["elapsedMs"] = Math.Round(family.Elapsed.TotalMilliseconds, 1),
            });
            ShowTable(reporter, family);
        }
        var overall = NatVerdict.Describe(report.Connectivity);
        reporter.Event("verdict", new JsonObject
        {
            ["connectivity"] = overall,
            ["elapsedMs"] = Math.Round(report.Elapsed.TotalMilliseconds, 1),
            ["servers"] = new JsonArray([.. report.Servers.Select(s => (JsonNode)s.ToString())]),
        });
        reporter.Say($"verdict: [bold]{overall}[/] ({report.Elapsed.TotalMilliseconds:F0} ms)");
    }

    private static JsonObject Protocol(MappingVerdict mapping, FilteringVerdict filtering) => new()
    {
        ["mapping"] = Name(mapping.Mapping),
        ["delta"] = mapping.Mapping == NatMapping.Sequential ? mapping.Delta : null,
        ["filtering"] = Name(filtering.Filtering),
        ["publicAddress"] = mapping.PublicAddress?.ToString(),
        ["publicEndpoint"] = mapping.FirstMapped?.ToString(),
        ["mappingConfidence"] = Name(mapping.Confidence),
        ["filteringConfidence"] = Name(filtering.Confidence),
        ["rfc5780Mapping"] = mapping.Rfc5780 == Rfc5780Mapping.Unknown ? null : Name(mapping.Rfc5780),
        ["rfc5780Filtering"] = filtering.Rfc5780 == Rfc5780Filtering.Unknown ? null : Name(filtering.Rfc5780),
        ["probes"] = new JsonArray([.. mapping.Observations.Select(o => (JsonNode)new JsonObject
        {
            ["server"] = o.Target.ToString(),
            ["local"] = o.Local.ToString(),
            ["mapped"] = o.Mapped?.ToString(),
        })]),
    };

    private static void ShowTable(Reporter reporter, FamilyProbe family)
    {
        if (reporter.Json)
        {
            return;
        }
        var verdict = family.Verdict;
        var table = new Table().AddColumns("", "TCP", "UDP");
        var udp = verdict.UdpMapping;
        var udpFiltering = verdict.UdpFiltering ?? FilteringVerdict.Unknown;
        table.AddRow("public endpoint", Text(verdict.TcpMapping.FirstMapped), Text(udp?.FirstMapped));
        table.AddRow("mapping", Mapping(verdict.TcpMapping), udp is null ? "not probed" : $"{Mapping(udp)} (RFC 5780: {Name(udp.Rfc5780)})");
        table.AddRow("filtering", $"{Name(verdict.TcpFiltering.Filtering)} ({Name(verdict.TcpFiltering.Confidence)} confidence)",
            udp is null ? "not probed" : $"{Name(udpFiltering.Filtering)} (RFC 5780: {Name(udpFiltering.Rfc5780)})");
        table.AddRow("hairpinning", verdict.Hairpin switch { true => "yes", false => "no", null => "not tested (no NAT)" }, "");
        table.AddRow("flows", $"{verdict.TcpMapping.Observations.Count}", $"{udp?.Observations.Count ?? 0}");
        reporter.Human.MarkupLine($"[bold]{FamilyName(family.Family)}[/] from {Markup.Escape(family.LocalAddress.ToString())} port {family.LocalPort}, {family.Elapsed.TotalMilliseconds:F0} ms");
        reporter.Human.Write(table);
        reporter.Human.MarkupLine($"{FamilyName(family.Family)}: [bold]{NatVerdict.Describe(verdict.Connectivity)}[/] ({Name(verdict.Confidence)} confidence)");
    }

    private static string Mapping(MappingVerdict mapping) =>
        $"{Name(mapping.Mapping)}{(mapping.Mapping == NatMapping.Sequential ? $" (delta {mapping.Delta:+0;-0})" : "")} ({Name(mapping.Confidence)} confidence)";

    private static string Text(object? value) => Markup.Escape(value?.ToString() ?? "—");

    private static string FamilyName(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4";

    /// <summary>An enum value as the JSON contract spells it: kebab-case (PortPreserving → port-preserving).</summary>
    internal static string Name<T>(T value) where T : struct, Enum =>
        string.Concat(value.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
