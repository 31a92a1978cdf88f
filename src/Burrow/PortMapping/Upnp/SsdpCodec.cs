using System.Net;
using System.Text;

namespace Burrow.PortMapping.Upnp;

/// <summary>An SSDP search answer: where the device description is, and who answered.</summary>
public sealed record SsdpResponse(Uri Location, string SearchTarget, string UniqueServiceName, string Server);

/// <summary>SSDP (UPnP Device Architecture §1.3) M-SEARCH requests and their HTTP-over-UDP answers, pure.</summary>
public static class SsdpCodec
{
    public const int Port = 1900;
    public static readonly IPAddress MulticastAddress = IPAddress.Parse("239.255.255.250");
    public const string IgdV1 = "urn:schemas-upnp-org:device:InternetGatewayDevice:1";
    public const string IgdV2 = "urn:schemas-upnp-org:device:InternetGatewayDevice:2";

    public static byte[] SearchRequest(string searchTarget, int maxWaitSeconds) => Encoding.ASCII.GetBytes(
        "M-SEARCH * HTTP/1.1\r\n"
        + $"HOST: {MulticastAddress}:{Port}\r\n"
        + "MAN: \"ssdp:discover\"\r\n"
        + $"MX: {maxWaitSeconds}\r\n"
        + $"ST: {searchTarget}\r\n"
        + "\r\n");

    /// <exception cref="PortMapFormatException">Not an HTTP 200 answer with an http LOCATION.</exception>
    public static SsdpResponse ParseResponse(ReadOnlySpan<byte> datagram)
    {
        var text = Encoding.ASCII.GetString(datagram);
        var lines = text.Split("\r\n");
        if (!lines[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || lines[0].Split(' ', 3) is not [_, "200", ..])
        {
            throw new PortMapFormatException(PortMapFormatError.BadHttp, $"SSDP answer is not HTTP 200: '{Truncate(lines[0])}'.");
        }
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1).TakeWhile(l => l.Length > 0))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
            }
        }
        if (!headers.TryGetValue("LOCATION", out var location)
            || !Uri.TryCreate(location, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            throw new PortMapFormatException(PortMapFormatError.BadHttp, "SSDP answer without an http LOCATION.");
        }
        return new SsdpResponse(uri, headers.GetValueOrDefault("ST", ""), headers.GetValueOrDefault("USN", ""), headers.GetValueOrDefault("SERVER", ""));
    }

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
