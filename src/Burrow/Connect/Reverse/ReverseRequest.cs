using System.Diagnostics.CodeAnalysis;
using Burrow.Addressing;
using Burrow.Connect.Signals;
using Burrow.Identity;

namespace Burrow.Connect.Reverse;

/// <summary>
/// "Please connect to me": a <see cref="SignedSignal"/> of kind 0x01, signed by the requester's node key, whose
/// body is the requester's whole signed address record (pure codec and verification). The peer dials only
/// endpoints of that address and requires that key over TLS, so whoever relays the request cannot point it at
/// anyone else.
/// </summary>
public sealed record ReverseRequest(NodeId Target, ReadOnlyMemory<byte> Nonce, DateTimeOffset IssuedAt, NodeAddress Requester)
{
    /// <summary>The first byte of the signal payload: which kind of signal this is.</summary>
    public const byte Kind = 0x01;
    public const int NonceSize = SignedSignal.NonceSize;

    /// <summary>How far a request's time may be from the reader's clock (either way).</summary>
    public static readonly TimeSpan MaxAge = SignedSignal.MaxAge;

    public static byte[] Create(NodeIdentity identity, NodeAddress requester, NodeId target, ReadOnlySpan<byte> nonce, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(requester);
        if (requester.NodeId != identity.NodeId)
        {
            throw new ArgumentException("A node asks to be connected to at its own address.", nameof(requester));
        }
        return SignedSignal.Create(identity, Kind, target, nonce, now, requester.Record.Span);
    }

    /// <summary>
    /// Decodes and verifies a request that <paramref name="claimedSource"/> (as the rendezvous says) sent to
    /// <paramref name="self"/>. Never throws.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> payload, NodeId self, NodeId claimedSource, DateTimeOffset now,
        [NotNullWhen(true)] out ReverseRequest? request, out ReverseRequestError error)
    {
        request = null;
        if (SignedSignal.TryParse(payload, Kind) is not { } envelope)
        {
            error = ReverseRequestError.Malformed;
            return false;
        }
        if (!NodeAddress.TryFromRecord(envelope.Body.Span, out var requester, out _))
        {
            error = ReverseRequestError.BadAddress;
            return false;
        }
        var check = envelope.Check(requester.PublicKey, self, now);
        error = check == SignalError.BadSignature ? ReverseRequestError.BadSignature
            : check == SignalError.WrongTarget ? ReverseRequestError.WrongTarget
            : requester.NodeId != claimedSource ? ReverseRequestError.WrongSender
            : requester.CheckValidity(now) != AddressError.None ? ReverseRequestError.AddressExpired
            : check == SignalError.Stale ? ReverseRequestError.Stale
            : ReverseRequestError.None;
        if (error != ReverseRequestError.None)
        {
            return false;
        }
        request = new ReverseRequest(self, envelope.Nonce, envelope.IssuedAt, requester);
        return true;
    }
}

/// <summary>Why a reverse-connect request is refused.</summary>
public enum ReverseRequestError
{
    None,

    /// <summary>Not a reverse request, or its fields are cut or followed by more bytes.</summary>
    Malformed,

    /// <summary>The embedded address does not decode or its own signature does not verify.</summary>
    BadAddress,

    /// <summary>The request is not signed by the key of the address it carries (altered, or the address swapped).</summary>
    BadSignature,

    /// <summary>The request is for another node.</summary>
    WrongTarget,

    /// <summary>The rendezvous says it comes from a node other than the one that signed it.</summary>
    WrongSender,

    /// <summary>The requester's address has expired or is not valid yet.</summary>
    AddressExpired,

    /// <summary>Issued too long ago (or too far in the future): a replay, or a clock far off.</summary>
    Stale,
}
