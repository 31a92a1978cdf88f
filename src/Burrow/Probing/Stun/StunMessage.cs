using System.Net;

namespace Burrow.Probing.Stun;

/// <summary>The class of a STUN message (RFC 8489 §5).</summary>
public enum StunClass : byte
{
    Request = 0,
    Indication = 1,
    SuccessResponse = 2,
    ErrorResponse = 3,
}

/// <summary>The flags of an RFC 5780 CHANGE-REQUEST attribute.</summary>
[Flags]
public enum StunChange : byte
{
    None = 0,
    /// <summary>Answer from the other port.</summary>
    Port = 0x02,
    /// <summary>Answer from the other IP address.</summary>
    Ip = 0x04,
}

/// <summary>What a Burrow STUN server's TCP connect-back to the requester's observed address got.</summary>
public enum ConnectBackOutcome : byte
{
    /// <summary>The connection was accepted: unsolicited inbound SYNs get through.</summary>
    Open = 1,
    /// <summary>Answered with a RST (connection refused).</summary>
    Reset = 2,
    /// <summary>No answer before the server's deadline: the SYN was dropped.</summary>
    Dropped = 3,
    /// <summary>The server could not try (no other address, busy): nothing learned.</summary>
    NotTried = 4,
}

/// <summary>An ERROR-CODE attribute: a code 300–699 and a reason phrase.</summary>
public readonly record struct StunError(int Code, string Reason);

/// <summary>
/// A decoded STUN message: the header and the attributes Burrow understands. Attributes it does not use are
/// skipped; unknown comprehension-required ones are listed in <see cref="UnknownRequired"/> (a server answers
/// such a request with 420, a client treats such a response as failed).
/// </summary>
public sealed record StunMessage(StunClass Class, ushort Method, StunTransactionId TransactionId)
{
    public const ushort BindingMethod = 0x001;

    public static StunMessage BindingRequest(StunTransactionId id) => new(StunClass.Request, BindingMethod, id);

    public IPEndPoint? XorMappedAddress { get; init; }
    public IPEndPoint? MappedAddress { get; init; }
    /// <summary>RFC 5780: where the response was sent from.</summary>
    public IPEndPoint? ResponseOrigin { get; init; }
    /// <summary>RFC 5780: the server's other address and port (its alternate IP and port).</summary>
    public IPEndPoint? OtherAddress { get; init; }
    /// <summary>RFC 5780: in a request, where the response should come from.</summary>
    public StunChange ChangeRequest { get; init; }
    /// <summary>RFC 5780: in a UDP request, the port (on the requester's address) to send the response to.</summary>
    public int? ResponsePort { get; init; }
    public StunError? Error { get; init; }
    public string? Software { get; init; }
    /// <summary>Burrow (TCP only): asks the server to connect back to this connection's observed address.</summary>
    public bool ConnectBack { get; init; }
    /// <summary>Burrow: what the connect-back got.</summary>
    public ConnectBackOutcome? ConnectBackResult { get; init; }
    public bool HasMessageIntegrity { get; init; }
    public bool HasFingerprint { get; init; }
    public IReadOnlyList<ushort> UnknownRequired { get; init; } = [];

    /// <summary>The reflexive address: XOR-MAPPED-ADDRESS, or MAPPED-ADDRESS from an old server.</summary>
    public IPEndPoint? Mapped => XorMappedAddress ?? MappedAddress;
}
