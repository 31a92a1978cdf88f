using System.Net;
using Burrow.Identity;

namespace Burrow.Rendezvous.Protocol;

/// <summary>
/// One message between a node and a rendezvous server. Each is a frame of a <see cref="Transport.MessageStream"/>
/// inside the TLS stream; <see cref="RendezvousCodec"/> turns them into bytes and back.
/// </summary>
public abstract record RendezvousMessage
{
    private protected RendezvousMessage()
    {
    }

    public abstract RendezvousMessageType Type { get; }
}

/// <summary>The wire type byte of each message.</summary>
public enum RendezvousMessageType : byte
{
    Register = 0x01,
    Registered = 0x02,
    RegisterRefused = 0x03,
    TimeRequest = 0x04,
    TimeReply = 0x05,
    SignalTo = 0x06,
    SignalFrom = 0x07,
    SignalFailed = 0x08,
    Ping = 0x09,
    Pong = 0x0A,
}

/// <summary>Node → server: "reach me as this address" (the signed record; its key must be the TLS key). Sent again when the address changes.</summary>
public sealed record Register(ReadOnlyMemory<byte> AddressRecord) : RendezvousMessage
{
    public override RendezvousMessageType Type => RendezvousMessageType.Register;
}

/// <summary>Server → node: registered; where the node's TCP connection came from, and the server's clock.</summary>
public sealed record Registered(IPEndPoint ObservedEndPoint, DateTimeOffset ServerTime) : RendezvousMessage
{
    public override RendezvousMessageType Type => RendezvousMessageType.Registered;
}

/// <summary>Server → node: the registration was refused; the server closes the connection after it.</summary>
public sealed record RegisterRefused(RegisterRefusal Reason) : RendezvousMessage
{
    public override RendezvousMessageType Type => RendezvousMessageType.RegisterRefused;
}

public enum RegisterRefusal : byte
{
    /// <summary>The address is not signed by the key the node authenticated with over TLS.</summary>
    KeyMismatch = 1,

    /// <summary>The address record does not decode or verify.</summary>
    BadAddress = 2,

    /// <summary>The address has expired or is not valid yet.</summary>
    Expired = 3,

    /// <summary>The first message was not a registration.</summary>
    NotRegistered = 4,

    /// <summary>The server holds as many nodes as it takes (<c>MaxNodes</c>); try again later, or another server.</summary>
    Full = 5,
}

/// <summary>Node → server: the node's clock when it sent this (NTP's t0).</summary>
public sealed record TimeRequest(DateTimeOffset ClientSent) : RendezvousMessage
{
    public override RendezvousMessageType Type => RendezvousMessageType.TimeRequest;
}

/// <summary>Server → node: t0 echoed, when the server received the request (t1), when it replied (t2).</summary>
public sealed record TimeReply(DateTimeOffset ClientSent, DateTimeOffset ServerReceived, DateTimeOffset ServerSent) : RendezvousMessage
{
    public override RendezvousMessageType Type => RendezvousMessageType.TimeReply;
}

/// <summary>Node → server: forward <paramref name="Payload"/> (opaque to the server) to the node <paramref name="Target"/>.</summary>
public sealed record SignalTo(NodeId Target, ReadOnlyMemory<byte> Payload) : RendezvousMessage
{
    public override RendezvousMessageType Type => RendezvousMessageType.SignalTo;
}

/// <summary>Server → node: a payload from the registered (TLS-authenticated) node <paramref name="Source"/>.</summary>
public sealed record SignalFrom(NodeId Source, ReadOnlyMemory<byte> Payload) : RendezvousMessage
{
    public override RendezvousMessageType Type => RendezvousMessageType.SignalFrom;
}

/// <summary>Server → node: a signal to <paramref name="Target"/> could not be forwarded.</summary>
public sealed record SignalFailed(NodeId Target, SignalFailure Reason) : RendezvousMessage
{
    public override RendezvousMessageType Type => RendezvousMessageType.SignalFailed;
}

public enum SignalFailure : byte
{
    /// <summary>No node with that id is registered (never was, expired, or disconnected).</summary>
    UnknownPeer = 1,

    /// <summary>The peer is registered but cannot take more signals now (its queue is full, or it is going away).</summary>
    PeerBusy = 2,
}

/// <summary>Keep-alive; the other side answers with a <see cref="Pong"/> carrying the same value.</summary>
public sealed record Ping(ulong Value) : RendezvousMessage
{
    public override RendezvousMessageType Type => RendezvousMessageType.Ping;
}

public sealed record Pong(ulong Value) : RendezvousMessage
{
    public override RendezvousMessageType Type => RendezvousMessageType.Pong;
}
