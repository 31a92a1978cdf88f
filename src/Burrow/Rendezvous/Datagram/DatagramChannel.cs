using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Burrow.Rendezvous.Datagram;

/// <summary>What <see cref="DatagramChannel.Open"/> made of a data packet.</summary>
public enum OpenResult
{
    /// <summary>Not sealed by the other end of this session (forged, corrupted, or another session's): drop it.</summary>
    Invalid,

    /// <summary>An authentic control packet (an acknowledgement, the welcome, a request or a response): act on it.</summary>
    Control,

    /// <summary>An authentic message, new: it and any it released are delivered; an acknowledgement is owed.</summary>
    Accepted,

    /// <summary>An authentic message seen before (the acknowledgement was lost, or a replay): not delivered; an acknowledgement is owed.</summary>
    Duplicate,

    /// <summary>An authentic message too far ahead of the next expected one: dropped unacknowledged (it is resent).</summary>
    TooEarly,
}

/// <summary>
/// One authentic data packet: its number in its space, its content, what it acknowledges, its body, and whether
/// it is new — a message accepted now, or a control packet numbered above every one before it. Only a new
/// packet may move the session to the address it came from (a replayed one must not).
/// </summary>
public readonly record struct OpenedPacket(ulong Sequence, DatagramContent Content, ulong Acknowledged, byte[] Body, bool IsNew = false);

/// <summary>
/// One end of a datagram session (pure; no I/O; thread-safe). Messages are numbered 1, 2, 3… and delivered in
/// that order, exactly once (<see cref="InOrderReceiver"/>); their owner resends the same bytes until the other
/// end acknowledges them. Every packet carries a cumulative acknowledgement — every message up to this number
/// was received — so an answer acknowledges what it answers, and a bare <see cref="DatagramContent.Ack"/> is
/// needed only when nothing else goes back soon (<see cref="AckOwed"/>; <see cref="DelayedAcks"/>). Control
/// packets are numbered in a space of their own (the nonce says which) and are neither ordered nor
/// acknowledged. Each direction's cipher is made when first needed and kept until <see cref="ReleaseCiphers"/>.
/// </summary>
public sealed class DatagramChannel(SessionKeys keys, bool isServer)
{
    private readonly Lock _lock = new();
    private readonly Lock _sealing = new();
    private readonly Lock _opening = new();
    private readonly InOrderReceiver _receiver = new();
    private ulong _nextMessage;
    private ulong _nextControl;
    private ulong _highestControlSeen;
    private bool _ackOwed;
    private AesGcm? _sealer;
    private AesGcm? _opener;

    public ulong Session => keys.Session;

    /// <summary>A message came (new or again) since the last packet sealed: the other end waits for its acknowledgement.</summary>
    public bool AckOwed
    {
        get
        {
            lock (_lock)
            {
                return _ackOwed;
            }
        }
    }

    /// <summary>Frees the ciphers (~1.5 KiB of native state each); the next packet makes them again.</summary>
    public void ReleaseCiphers()
    {
        lock (_sealing)
        {
            _sealer?.Dispose();
            _sealer = null;
        }
        lock (_opening)
        {
            _opener?.Dispose();
            _opener = null;
        }
    }

    /// <summary>A sealed message packet carrying the rendezvous message <paramref name="frame"/>, and the number it took.</summary>
    public byte[] SealMessage(ReadOnlySpan<byte> frame, out ulong sequence) => Seal(DatagramContent.Message, frame, control: false, out sequence);

    /// <summary>A sealed control packet, and the number it took in the control space.</summary>
    public byte[] SealControl(DatagramContent content, ReadOnlySpan<byte> body, out ulong sequence) => Seal(content, body, control: true, out sequence);

    /// <summary>A bare acknowledgement.</summary>
    public byte[] Ack() => SealControl(DatagramContent.Ack, [], out _);

    /// <summary>
    /// Authenticates a data packet of this session. A message is put in order: <paramref name="delivered"/>
    /// gets the rendezvous message frames now deliverable, in the order they were sent.
    /// </summary>
    public OpenResult Open(ReadOnlySpan<byte> packet, List<byte[]> delivered, out OpenedPacket opened)
    {
        opened = default;
        var (session, sequence, flags) = DatagramPacket.ReadDataHeader(packet);
        if (session != keys.Session || packet.Length < DatagramPacket.DataHeaderSize + DatagramPacket.PlainHeaderSize + DatagramPacket.TagSize || (flags & ~DatagramPacket.Control) != 0)
        {
            return OpenResult.Invalid;
        }
        var control = (flags & DatagramPacket.Control) != 0;
        var sealedIn = packet[DatagramPacket.DataHeaderSize..];
        var plaintext = new byte[sealedIn.Length - DatagramPacket.TagSize];
        bool authentic;
        lock (_opening)
        {
            _opener ??= new AesGcm(isServer ? keys.NodeToServer : keys.ServerToNode, DatagramPacket.TagSize);
            authentic = DatagramKeys.TryOpen(_opener, Nonce(stackalloc byte[NonceSize], !isServer, control, sequence), packet[..DatagramPacket.DataHeaderSize], sealedIn, plaintext);
        }
        if (!authentic)
        {
            return OpenResult.Invalid;
        }
        var content = (DatagramContent)plaintext[0];
        opened = new OpenedPacket(sequence, content, BinaryPrimitives.ReadUInt64BigEndian(plaintext.AsSpan(1)), plaintext[DatagramPacket.PlainHeaderSize..]);
        if (control != (content != DatagramContent.Message))
        {
            return OpenResult.Invalid; // a message is never control, and control never a message
        }
        lock (_lock)
        {
            if (control)
            {
                if (sequence > _highestControlSeen)
                {
                    _highestControlSeen = sequence;
                    opened = opened with { IsNew = true };
                }
                return OpenResult.Control;
            }
            var outcome = _receiver.Receive(sequence, opened.Body, delivered);
            if (outcome == InOrderReceiver.Outcome.TooEarly)
            {
                return OpenResult.TooEarly;
            }
            _ackOwed = true;
            opened = opened with { IsNew = outcome == InOrderReceiver.Outcome.Accepted };
            return outcome == InOrderReceiver.Outcome.Accepted ? OpenResult.Accepted : OpenResult.Duplicate;
        }
    }

    private byte[] Seal(DatagramContent content, ReadOnlySpan<byte> body, bool control, out ulong sequence)
    {
        var packet = new byte[DatagramPacket.DataHeaderSize + DatagramPacket.PlainHeaderSize + body.Length + DatagramPacket.TagSize];
        var plaintext = body.Length < 1024 ? stackalloc byte[DatagramPacket.PlainHeaderSize + body.Length] : new byte[DatagramPacket.PlainHeaderSize + body.Length];
        plaintext[0] = (byte)content;
        body.CopyTo(plaintext[DatagramPacket.PlainHeaderSize..]);
        lock (_lock)
        {
            sequence = control ? ++_nextControl : ++_nextMessage;
            BinaryPrimitives.WriteUInt64BigEndian(plaintext[1..], _receiver.Delivered);
            _ackOwed = false; // this packet carries the acknowledgement
        }
        DatagramPacket.WriteDataHeader(packet, keys.Session, sequence, control ? DatagramPacket.Control : (byte)0);
        lock (_sealing)
        {
            _sealer ??= new AesGcm(isServer ? keys.ServerToNode : keys.NodeToServer, DatagramPacket.TagSize);
            DatagramKeys.Seal(_sealer, Nonce(stackalloc byte[NonceSize], isServer, control, sequence), packet.AsSpan(0, DatagramPacket.DataHeaderSize), plaintext, packet.AsSpan(DatagramPacket.DataHeaderSize));
        }
        return packet;
    }

    /// <summary>The AES-GCM nonce: direction(1) · space(1: message or control) · 0(2) · sequence(8). Never reused under one key.</summary>
    private static Span<byte> Nonce(Span<byte> nonce, bool fromServer, bool control, ulong sequence)
    {
        nonce[0] = fromServer ? (byte)1 : (byte)0;
        nonce[1] = control ? (byte)1 : (byte)0;
        nonce[2..4].Clear();
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], sequence);
        return nonce;
    }

    private const int NonceSize = 12;
}
