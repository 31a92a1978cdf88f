using System.Net;
using System.Security;
using System.Text;

namespace Burrow.PortMapping.Upnp;

/// <summary>UPnP error codes a gateway answers with (UPnP Device Architecture, IGD WANIPConnection).</summary>
public enum UpnpErrorCode
{
    InvalidAction = 401,
    InvalidArgs = 402,
    ActionFailed = 501,
    ArgumentValueInvalid = 600,
    NotAuthorized = 606,
    SpecifiedArrayIndexInvalid = 713,
    NoSuchEntryInArray = 714,
    ConflictInMappingEntry = 718,
    SamePortValuesRequired = 724,
    OnlyPermanentLeasesSupported = 725,
    ExternalPortOnlySupportsWildcard = 727,
    ConflictWithOtherMechanisms = 728,
    WildCardNotPermittedInExtPort = 732,
}

/// <summary>A SOAP action's outcome: its out-arguments, or the UPnP error the gateway answered.</summary>
public sealed record SoapReply(IReadOnlyDictionary<string, string> Arguments, int ErrorCode, string ErrorDescription)
{
    public bool IsError => ErrorCode != 0;

    public string? this[string name] => Arguments.GetValueOrDefault(name);
}

/// <summary>SOAP 1.1 envelopes for UPnP control actions and their replies (success or UPnPError fault), pure.</summary>
public static class SoapCodec
{
    private const int MaxLength = 64 * 1024;

    /// <summary>The SOAPAction header value: <c>"serviceType#action"</c>, quoted.</summary>
    public static string SoapAction(string serviceType, string action) => $"\"{serviceType}#{action}\"";

    public static string Envelope(string serviceType, string action, IReadOnlyList<KeyValuePair<string, string>> arguments)
    {
        var body = new StringBuilder();
        body.Append("<?xml version=\"1.0\"?>\r\n")
            .Append("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">")
            .Append("<s:Body>")
            .Append("<u:").Append(action).Append(" xmlns:u=\"").Append(SecurityElement.Escape(serviceType)).Append("\">");
        foreach (var (name, value) in arguments)
        {
            body.Append('<').Append(name).Append('>').Append(SecurityElement.Escape(value)).Append("</").Append(name).Append('>');
        }
        return body.Append("</u:").Append(action).Append("></s:Body></s:Envelope>\r\n").ToString();
    }

    /// <summary>Decodes a reply: HTTP 200 with <c>actionResponse</c>, or (usually HTTP 500) a Fault with a UPnPError.</summary>
    /// <exception cref="PortMapFormatException">Neither.</exception>
    public static SoapReply ParseReply(HttpStatusCode status, string body, string action)
    {
        var document = SafeXml.Load(body, MaxLength, $"HTTP {(int)status} reply");
        var bodyElement = document.Root?.Elements().FirstOrDefault(e => e.Name.LocalName == "Body")
            ?? throw new PortMapFormatException(PortMapFormatError.BadXml, "SOAP reply without a Body.");
        if (bodyElement.Descendants().FirstOrDefault(e => e.Name.LocalName == "UPnPError") is { } error)
        {
            var codeText = error.Elements().FirstOrDefault(e => e.Name.LocalName == "errorCode")?.Value.Trim();
            if (!int.TryParse(codeText, out var code) || code <= 0)
            {
                throw new PortMapFormatException(PortMapFormatError.BadField, $"UPnPError with errorCode '{codeText}'.");
            }
            var description = error.Elements().FirstOrDefault(e => e.Name.LocalName == "errorDescription")?.Value.Trim() ?? "";
            return new SoapReply(new Dictionary<string, string>(), code, description);
        }
        if (status != HttpStatusCode.OK)
        {
            throw new PortMapFormatException(PortMapFormatError.BadHttp, $"HTTP {(int)status} without a UPnPError.");
        }
        var response = bodyElement.Elements().FirstOrDefault(e => e.Name.LocalName == action + "Response")
            ?? throw new PortMapFormatException(PortMapFormatError.BadXml, $"SOAP reply without {action}Response.");
        var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var argument in response.Elements())
        {
            arguments[argument.Name.LocalName] = argument.Value.Trim();
        }
        return new SoapReply(arguments, 0, "");
    }
}
