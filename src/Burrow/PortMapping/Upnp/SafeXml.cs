using System.Xml;
using System.Xml.Linq;

namespace Burrow.PortMapping.Upnp;

/// <summary>Loads gateway XML safely: bounded size, no DTDs, no external entities; failures are typed.</summary>
internal static class SafeXml
{
    /// <exception cref="PortMapFormatException">Too large or not well-formed.</exception>
    public static XDocument Load(string text, int maxLength, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > maxLength)
        {
            throw new PortMapFormatException(PortMapFormatError.BadXml, $"{what} of {text.Length} characters (limit {maxLength}).");
        }
        try
        {
            using var reader = XmlReader.Create(new StringReader(text), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            return XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            throw new PortMapFormatException(PortMapFormatError.BadXml, $"{what} is not well-formed XML: {e.Message}");
        }
    }
}
