using System.Buffers.Binary;
using Burrow.Identity;

namespace Burrow.Rendezvous.Datagram;

/// <summary>The kind byte of a rendezvous datagram.</summary>
public enum DatagramKind : byte
{
    Hello = 1,
    Challenge = 2,
    Join = 3,
    Data = 4,
    Reset = 5,
}

/// <summary>What a sealed data packet carries (its first plaintext byte, before the cumulative acknowledgement).</summary>
public enum DatagramContent : byte
{
    /// <summary>One rendezvous message (<see cref="Protocol.RendezvousCodec"/>), numbered, ordered, resent until acknowledged.</summary>
    Message = 1,

    /// <summary>Control: nothing but the acknowledgement every packet carries.</summary>
    Ack = 2,

    /// <summary>Control: the server's answer to a join (sealed, so it proves the server has the keys).</summary>
    Welcome = 3,

    /// <summary>Control: a request answered at once and safe to repeat (a ping, a time request); the node resends it until answered.</summary>
    Request = 4,

    /// <summary>Control: the answer to a request: the request's number(8) · the answering message.</summary>
    Response = 5,
}

/// <summary>
/// The rendezvous datagram wire format (pure; no I/O): the connectionless way for a node to register, one UDP
/// socket on the server for every node. Integers are big-endian. Every packet starts with
/// <c>'B' 'R' · version(1) · kind(1)</c>:
/// <list type="bullet">
/// <item>Hello (node → server): client nonce(16), zero-padded to <see cref="HelloSize"/> so that the challenge it
/// asks for is never larger (no amplification).</item>
/// <item>Challenge: client nonce(16) · issued(8, server's monotonic milliseconds) · cookie(16) · server ephemeral key(33).</item>
/// <item>Join: client nonce(16) · issued(8) · cookie(16) · client ephemeral key(33) · node key(33) · signature(64)
/// over <see cref="DatagramKeys.Transcript"/>.</item>
/// <item>Data: session(8) · sequence(8) · flags(1: <see cref="Control"/>) · AES-GCM of content(1) · acknowledged(8:
/// every message up to this number was received) · body, with a 16-byte tag; the 21 header bytes are the
/// associated data.</item>
/// <item>Reset (server → node): session(8) — "no such session: join again".</item>
/// </list>
/// Keys are compressed P-256 points. Decoding never throws; a packet that does not parse is dropped.
/// </summary>
public static class DatagramPacket
{
    public const byte Version = 1;
    public const int HeaderSize = 4;
    public const int NonceSize = 16;
    public const int CookieSize = 16;
    public const int KeySize = P256Point.CompressedSize;
    public const int HelloSize = 96;
    public const int ChallengeSize = HeaderSize + NonceSize + 8 + CookieSize + KeySize;
    public const int JoinSize = HeaderSize + NonceSize + 8 + CookieSize + KeySize + KeySize + NodeIdentity.SignatureSize;
    public const int DataHeaderSize = HeaderSize + 8 + 8 + 1;
    public const int TagSize = 16;

    /// <summary>The plaintext before the body: content(1) · cumulative acknowledgement(8).</summary>
    public const int PlainHeaderSize = 1 + 8;
    public const int ResetSize = HeaderSize + 8;

    /// <summary>The largest datagram either side sends or accepts: a whole rendezvous message and the framing.</summary>
    public const int MaxSize = DataHeaderSize + PlainHeaderSize + 8 + Protocol.RendezvousCodec.MaxMessageSize + TagSize;

    /// <summary>
    /// Data flag: a control packet (an acknowledgement or a welcome), numbered apart from messages and never
    /// acknowledged. Without it, the packet is a message, which the receiver acknowledges and puts in order.
    /// </summary>
    public const byte Control = 0x01;

    /// <summary>The kind of a well-framed packet of this version; false for anything else.</summary>
    public static bool TryReadKind(ReadOnlySpan<byte> packet, out DatagramKind kind)
    {
        kind = default;
        if (packet.Length < HeaderSize || packet[0] != (byte)'B' || packet[1] != (byte)'R' || packet[2] != Version)
        {
            return false;
        }
        kind = (DatagramKind)packet[3];
        return kind switch
        {
            DatagramKind.Hello => packet.Length == HelloSize,
            DatagramKind.Challenge => packet.Length == ChallengeSize,
            DatagramKind.Join => packet.Length == JoinSize,
            DatagramKind.Data => packet.Length is >= DataHeaderSize + PlainHeaderSize + TagSize and <= MaxSize,
            DatagramKind.Reset => packet.Length == ResetSize,
            _ => false,
        };
    }

    public static byte[] Hello(ReadOnlySpan<byte> nonce)
    {
        var packet = Start(DatagramKind.Hello, HelloSize);
        Put(packet, HeaderSize, nonce, NonceSize);
        return packet;
    }

    public static byte[] Challenge(ReadOnlySpan<byte> nonce, ulong issued, ReadOnlySpan<byte> cookie, ReadOnlySpan<byte> serverKey)
    {
        var packet = Start(DatagramKind.Challenge, ChallengeSize);
        var at = Put(packet, HeaderSize, nonce, NonceSize);
        BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(at), issued);
        at = Put(packet, at + 8, cookie, CookieSize);
        Put(packet, at, serverKey, KeySize);
        return packet;
    }

    /// <summary>A challenge's fields (spans into <paramref name="packet"/>); the kind must have been checked.</summary>
    public static void ReadChallenge(ReadOnlySpan<byte> packet, out ReadOnlySpan<byte> nonce, out ulong issued, out ReadOnlySpan<byte> cookie, out ReadOnlySpan<byte> serverKey)
    {
        nonce = packet.Slice(HeaderSize, NonceSize);
        issued = BinaryPrimitives.ReadUInt64BigEndian(packet[(HeaderSize + NonceSize)..]);
        cookie = packet.Slice(HeaderSize + NonceSize + 8, CookieSize);
        serverKey = packet.Slice(HeaderSize + NonceSize + 8 + CookieSize, KeySize);
    }

    public static byte[] Join(ReadOnlySpan<byte> nonce, ulong issued, ReadOnlySpan<byte> cookie, ReadOnlySpan<byte> clientKey, ReadOnlySpan<byte> nodeKey, ReadOnlySpan<byte> signature)
    {
        var packet = Start(DatagramKind.Join, JoinSize);
        var at = Put(packet, HeaderSize, nonce, NonceSize);
        BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(at), issued);
        at = Put(packet, at + 8, cookie, CookieSize);
        at = Put(packet, at, clientKey, KeySize);
        at = Put(packet, at, nodeKey, KeySize);
        Put(packet, at, signature, NodeIdentity.SignatureSize);
        return packet;
    }

    /// <summary>A join's fields (spans into <paramref name="packet"/>); the kind must have been checked.</summary>
    public static JoinFields ReadJoin(ReadOnlySpan<byte> packet)
    {
        const int issuedAt = HeaderSize + NonceSize, cookieAt = issuedAt + 8, clientAt = cookieAt + CookieSize, nodeAt = clientAt + KeySize, signatureAt = nodeAt + KeySize;
        return new JoinFields(
            packet.Slice(HeaderSize, NonceSize),
            BinaryPrimitives.ReadUInt64BigEndian(packet[issuedAt..]),
            packet.Slice(cookieAt, CookieSize),
            packet.Slice(clientAt, KeySize),
            packet.Slice(nodeAt, KeySize),
            packet.Slice(signatureAt, NodeIdentity.SignatureSize));
    }

    public static byte[] Reset(ulong session)
    {
        var packet = Start(DatagramKind.Reset, ResetSize);
        BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(HeaderSize), session);
        return packet;
    }

    /// <summary>The session a data or reset packet names; the kind must have been checked.</summary>
    public static ulong ReadSession(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt64BigEndian(packet[HeaderSize..]);

    /// <summary>A data packet's header: its session, sequence number and flags.</summary>
    public static void WriteDataHeader(Span<byte> packet, ulong session, ulong sequence, byte flags)
    {
        packet[0] = (byte)'B';
        packet[1] = (byte)'R';
        packet[2] = Version;
        packet[3] = (byte)DatagramKind.Data;
        BinaryPrimitives.WriteUInt64BigEndian(packet[HeaderSize..], session);
        BinaryPrimitives.WriteUInt64BigEndian(packet[(HeaderSize + 8)..], sequence);
        packet[HeaderSize + 16] = flags;
    }

    public static (ulong Session, ulong Sequence, byte Flags) ReadDataHeader(ReadOnlySpan<byte> packet) =>
        (BinaryPrimitives.ReadUInt64BigEndian(packet[HeaderSize..]), BinaryPrimitives.ReadUInt64BigEndian(packet[(HeaderSize + 8)..]), packet[HeaderSize + 16]);

    private static byte[] Start(DatagramKind kind, int size)
    {
        var packet = new byte[size];
        packet[0] = (byte)'B';
        packet[1] = (byte)'R';
        packet[2] = Version;
        packet[3] = (byte)kind;
        return packet;
    }

    private static int Put(byte[] packet, int at, ReadOnlySpan<byte> value, int size)
    {
        if (value.Length != size)
        {
            throw new ArgumentException($"A field here is {size} bytes, not {value.Length}.");
        }
        value.CopyTo(packet.AsSpan(at));
        return at + size;
    }
}

/// <summary>The fields of a join packet, as spans into it.</summary>
public readonly ref struct JoinFields(ReadOnlySpan<byte> nonce, ulong issued, ReadOnlySpan<byte> cookie, ReadOnlySpan<byte> clientKey, ReadOnlySpan<byte> nodeKey, ReadOnlySpan<byte> signature)
{
    public ReadOnlySpan<byte> Nonce { get; } = nonce;

    public ulong Issued { get; } = issued;

    public ReadOnlySpan<byte> Cookie { get; } = cookie;

    public ReadOnlySpan<byte> ClientKey { get; } = clientKey;

    public ReadOnlySpan<byte> NodeKey { get; } = nodeKey;

    public ReadOnlySpan<byte> Signature { get; } = signature;
}
