using System.Xml.Linq;

namespace Burrow.PortMapping.Upnp;

/// <summary>A WAN connection service of an Internet Gateway Device: its type (with version) and control URL.</summary>
public sealed record UpnpService(string ServiceType, Uri ControlUrl, string DeviceName)
{
    /// <summary>IGD v2's WANIPConnection:2 has AddAnyPortMapping.</summary>
    public int Version => int.TryParse(ServiceType.AsSpan(ServiceType.LastIndexOf(':') + 1), out var v) ? v : 1;
}

/// <summary>Parses a UPnP device description (rootDesc.xml) for its WAN connection services, pure.</summary>
public static class UpnpDescription
{
    public const string WanIpConnection = "urn:schemas-upnp-org:service:WANIPConnection:";
    public const string WanPppConnection = "urn:schemas-upnp-org:service:WANPPPConnection:";
    private const int MaxLength = 256 * 1024;

    /// <summary>
    /// Every WANIPConnection and WANPPPConnection service, best first (WANIPConnection before WANPPPConnection,
    /// higher versions first), with control URLs made absolute against URLBase or <paramref name="location"/>.
    /// </summary>
    /// <exception cref="PortMapFormatException">Not well-formed XML, or too large.</exception>
    public static IReadOnlyList<UpnpService> Parse(string xml, Uri location)
    {
        var document = SafeXml.Load(xml, MaxLength, "Device description");
        var root = document.Root!;
        var baseUri = Child(root, "URLBase") is { } urlBase && Uri.TryCreate(urlBase.Trim(), UriKind.Absolute, out var b) ? b : location;
        var services = new List<UpnpService>();
        foreach (var service in root.Descendants().Where(e => e.Name.LocalName == "service"))
        {
            var type = Child(service, "serviceType")?.Trim() ?? "";
            var control = Child(service, "controlURL")?.Trim();
            if ((type.StartsWith(WanIpConnection, StringComparison.Ordinal) || type.StartsWith(WanPppConnection, StringComparison.Ordinal))
                && control is { Length: > 0 } && Uri.TryCreate(baseUri, control, out var url) && url.Scheme == Uri.UriSchemeHttp)
            {
                var device = service.Parent?.Parent;
                services.Add(new UpnpService(type, url, device is null ? "" : Child(device, "friendlyName")?.Trim() ?? ""));
            }
        }
        return [.. services
            .OrderBy(s => s.ServiceType.StartsWith(WanIpConnection, StringComparison.Ordinal) ? 0 : 1)
            .ThenByDescending(s => s.Version)];
    }

    private static string? Child(XElement element, string localName) =>
        element.Elements().FirstOrDefault(e => e.Name.LocalName == localName)?.Value;
}
