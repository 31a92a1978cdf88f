using System.Diagnostics.CodeAnalysis;
using Burrow.Identity;

namespace Burrow.Addressing;

/// <summary>
/// A node's signed address: its public key and everything a peer needs to choose how to reach it. Only two
/// ways make one: <see cref="Issue"/> (sign with the node's key) and <see cref="TryParse"/> (decode and verify).
/// </summary>
public sealed class NodeAddress : IEquatable<NodeAddress>
{
    /// <summary>Clock difference tolerated between issuer and reader.</summary>
    public static readonly TimeSpan DefaultAllowedSkew = TimeSpan.FromMinutes(5);

    private readonly byte[] _record;
    private readonly string _text;

    private NodeAddress(NodePublicKey key, NodeAddressContent content, byte[] record)
    {
        PublicKey = key;
        Content = content;
        _record = record;
        _text = AddressText.Encode(record);
    }

    public NodePublicKey PublicKey { get; }

    public NodeId NodeId => PublicKey.NodeId;

    public NodeAddressContent Content { get; }

    public IReadOnlyList<AddressEndpoint> Endpoints => Content.Endpoints;

    public IReadOnlyList<SignalEndpoint> Rendezvous => Content.Rendezvous;

    public IReadOnlyList<SignalEndpoint> Relays => Content.Relays;

    public DateTimeOffset IssuedAt => Content.IssuedAt;

    public DateTimeOffset ExpiresAt => Content.ExpiresAt;

    /// <summary>The signed binary record (what the text form encodes).</summary>
    public ReadOnlyMemory<byte> Record => _record;

    /// <summary>Signs <paramref name="content"/> with <paramref name="identity"/>; times are kept to the second.</summary>
    public static NodeAddress Issue(NodeIdentity identity, NodeAddressContent content)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(content);
        var normalized = content with
        {
            IssuedAt = DateTimeOffset.FromUnixTimeSeconds(content.IssuedAt.ToUnixTimeSeconds()),
            Lifetime = TimeSpan.FromSeconds(Math.Floor(content.Lifetime.TotalSeconds)),
            Endpoints = [.. content.Endpoints],
            Rendezvous = [.. content.Rendezvous],
            Relays = [.. content.Relays],
        };
        var unsigned = AddressRecordWriter.WriteUnsigned(identity.PublicKey, normalized);
        byte[] record = [.. unsigned, .. identity.Sign(AddressRecordReader.SignedBytes(unsigned))];
        return new NodeAddress(identity.PublicKey, normalized, record);
    }

    /// <summary>Decodes and verifies the text form. Never throws; <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out NodeAddress? address, out AddressError error)
    {
        address = null;
        error = AddressText.TryDecode(text, out var record);
        return error == AddressError.None && TryFromRecord(record, out address, out error);
    }

    /// <summary>Decodes and verifies a binary record. Never throws.</summary>
    public static bool TryFromRecord(ReadOnlySpan<byte> record, [NotNullWhen(true)] out NodeAddress? address, out AddressError error)
    {
        address = null;
        error = AddressRecordReader.TryRead(record, out var key, out var content);
        if (error != AddressError.None)
        {
            return false;
        }
        address = new NodeAddress(key!, content!, record.ToArray());
        return true;
    }

    /// <summary>Decodes, verifies and checks the validity period; throws <see cref="AddressFormatException"/>.</summary>
    public static NodeAddress Parse(string? text, DateTimeOffset now)
    {
        if (!TryParse(text, out var address, out var error))
        {
            throw new AddressFormatException(error, Describe(error));
        }
        var validity = address.CheckValidity(now);
        return validity == AddressError.None ? address : throw new AddressFormatException(validity, Describe(validity) + $" (valid {address.IssuedAt:u} to {address.ExpiresAt:u}).");
    }

    /// <summary><see cref="AddressError.Expired"/>, <see cref="AddressError.NotYetValid"/> or <see cref="AddressError.None"/>.</summary>
    public AddressError CheckValidity(DateTimeOffset now, TimeSpan? allowedSkew = null)
    {
        var skew = allowedSkew ?? DefaultAllowedSkew;
        return now > ExpiresAt + skew ? AddressError.Expired
            : now < IssuedAt - skew ? AddressError.NotYetValid
            : AddressError.None;
    }

    /// <summary>A sentence for people, naming the reason.</summary>
    public static string Describe(AddressError error) => error switch
    {
        AddressError.None => "The address is valid.",
        AddressError.BadLength => "That is not a Burrow address: it is empty or far too long.",
        AddressError.BadPrefix => $"That is not a Burrow address: it must start with '{AddressText.Prefix}1'.",
        AddressError.BadCharacter => "The address contains a character that cannot be in it (was it cut or retyped?).",
        AddressError.BadChecksum => "The address checksum does not match: it was mistyped or altered.",
        AddressError.Truncated => "The address is truncated.",
        AddressError.UnsupportedVersion => "The address uses a version this Burrow does not understand: update Burrow.",
        AddressError.Malformed => "The address is malformed (a field is invalid, missing or repeated).",
        AddressError.BadPublicKey => "The address carries an invalid public key.",
        AddressError.BadSignature => "The address signature does not verify: it was tampered with.",
        AddressError.Expired => "The address has expired: ask the peer for a fresh one.",
        AddressError.NotYetValid => "The address is not valid yet (is a clock wrong?).",
        _ => $"The address is invalid ({error}).",
    };

    public bool Equals(NodeAddress? other) => other is not null && _record.AsSpan().SequenceEqual(other._record);

    public override bool Equals(object? obj) => Equals(obj as NodeAddress);

    public override int GetHashCode() => HashCode.Combine(NodeId, _record.Length);

    public override string ToString() => _text;
}
