namespace Burrow.PortMapping;

/// <summary>Why a gateway's reply did not decode.</summary>
public enum PortMapFormatError
{
    /// <summary>Shorter than its fixed layout.</summary>
    Truncated,
    /// <summary>Another protocol version than the one asked.</summary>
    BadVersion,
    /// <summary>Not a reply to the request sent (opcode, protocol, port or nonce differ).</summary>
    Mismatch,
    /// <summary>A field holds a value the protocol does not allow.</summary>
    BadField,
    /// <summary>Not an HTTP response, or one without a needed header.</summary>
    BadHttp,
    /// <summary>Not well-formed XML, or XML without the expected elements.</summary>
    BadXml,
}
