using System.Net;
using Burrow.Codecs;
using Burrow.Identity;
using L = Burrow.Addressing.AddressRecordLayout;

namespace Burrow.Addressing;

/// <summary>
/// Decodes and verifies an address record (pure). Accepts any input; returns an <see cref="AddressError"/>
/// naming what is wrong and never throws. Work and allocation are bounded by <see cref="L.MaxRecordSize"/>.
/// </summary>
internal static class AddressRecordReader
{
    public static AddressError TryRead(ReadOnlySpan<byte> record, out NodePublicKey? key, out NodeAddressContent? content)
    {
        key = null;
        content = null;
        if (record.IsEmpty)
        {
            return AddressError.Truncated;
        }
        if (record.Length > L.MaxRecordSize)
        {
            return AddressError.BadLength;
        }
        if (record[0] >> 4 != L.MajorVersion)
        {
            return AddressError.UnsupportedVersion;
        }
        if (record.Length < 1 + NodeIdentity.SignatureSize)
        {
            return AddressError.Truncated;
        }
        var signed = record[..^NodeIdentity.SignatureSize];
        var error = ReadFields(signed[1..], out var keyBytes, out var parsed);
        if (error != AddressError.None)
        {
            return error;
        }
        if (!NodePublicKey.TryFromCompressed(keyBytes, out key))
        {
            return AddressError.BadPublicKey;
        }
        if (!key!.Verify(SignedBytes(signed), record[^NodeIdentity.SignatureSize..]))
        {
            key = null;
            return AddressError.BadSignature;
        }
        content = parsed;
        return AddressError.None;
    }

    /// <summary>What the signature covers: the context string, then the record without its signature.</summary>
    public static byte[] SignedBytes(ReadOnlySpan<byte> unsigned) => [.. L.SignatureContext, .. unsigned];

    private static AddressError ReadFields(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> keyBytes, out NodeAddressContent? content)
    {
        keyBytes = default;
        content = null;
        ulong? issued = null, lifetime = null;
        var endpoints = new List<AddressEndpoint>();
        var rendezvous = new List<SignalEndpoint>();
        var relays = new List<SignalEndpoint>();
        var reader = new WireReader(body);
        while (!reader.IsEmpty)
        {
            reader.TryReadByte(out var type);
            switch (reader.TryReadVarUInt(L.MaxFieldLengthBytes, out var length))
            {
                case VarIntResult.Truncated: return AddressError.Truncated;
                case VarIntResult.Invalid: return AddressError.Malformed;
            }
            if (!reader.TryReadBytes((int)length, out var value))
            {
                return AddressError.Truncated;
            }
            var error = type switch
            {
                L.PublicKey => Single(ref keyBytes, value),
                L.IssuedAt => ReadWhole(value, ref issued, L.MaxUnixSeconds),
                L.Lifetime => ReadWhole(value, ref lifetime, L.MaxLifetimeSeconds),
                L.Endpoint => Append(endpoints, NodeAddressContent.MaxEndpoints, TryReadEndpoint(value, out var endpoint), endpoint),
                L.Rendezvous => Append(rendezvous, NodeAddressContent.MaxSignalEndpoints, TryReadSignal(value, out var signal), signal),
                L.Relay => Append(relays, NodeAddressContent.MaxSignalEndpoints, TryReadSignal(value, out var relay), relay),
                _ => AddressError.None, // a field from a newer writer: skipped, but still covered by the signature
            };
            if (error != AddressError.None)
            {
                return error;
            }
        }
        if (keyBytes.IsEmpty || issued is null || lifetime is null || lifetime == 0)
        {
            return AddressError.Malformed;
        }
        content = new NodeAddressContent
        {
            Endpoints = endpoints,
            Rendezvous = rendezvous,
            Relays = relays,
            IssuedAt = DateTimeOffset.FromUnixTimeSeconds((long)issued),
            Lifetime = TimeSpan.FromSeconds(lifetime.Value),
        };
        return content.IssuedAt.UtcDateTime > DateTime.MaxValue - content.Lifetime ? AddressError.Malformed : AddressError.None;
    }

    private static AddressError Single(ref ReadOnlySpan<byte> slot, ReadOnlySpan<byte> value)
    {
        if (!slot.IsEmpty || value.IsEmpty)
        {
            return AddressError.Malformed;
        }
        slot = value;
        return AddressError.None;
    }

    private static AddressError ReadWhole(ReadOnlySpan<byte> value, ref ulong? slot, ulong max)
    {
        var reader = new WireReader(value);
        if (slot is not null || reader.TryReadVarUInt(10, out var number) != VarIntResult.Ok || !reader.IsEmpty || number > max)
        {
            return AddressError.Malformed;
        }
        slot = number;
        return AddressError.None;
    }

    private static AddressError Append<T>(List<T> list, int max, bool ok, T? item)
        where T : class
    {
        if (!ok || item is null || list.Count == max)
        {
            return AddressError.Malformed;
        }
        list.Add(item);
        return AddressError.None;
    }

    private static bool TryReadEndpoint(ReadOnlySpan<byte> value, out AddressEndpoint? endpoint)
    {
        endpoint = null;
        var reader = new WireReader(value);
        if (!reader.TryReadByte(out var flags) || (flags & (L.FlagHasLan | L.FlagHasPublic)) == 0)
        {
            return false;
        }
        var addressLength = (flags & L.FlagIPv6) != 0 ? 16 : 4;
        IPAddress? lan = null, pub = null;
        if ((flags & L.FlagHasLan) != 0)
        {
            if (!reader.TryReadBytes(addressLength, out var bytes))
            {
                return false;
            }
            lan = new IPAddress(bytes);
        }
        if ((flags & L.FlagHasPublic) != 0)
        {
            if (!reader.TryReadBytes(addressLength, out var bytes))
            {
                return false;
            }
            pub = new IPAddress(bytes);
        }
        if (!reader.TryReadUInt16(out var listen) || !reader.TryReadUInt16(out var mapped)
            || !reader.TryReadByte(out var method) || !reader.TryReadByte(out var mapping)
            || reader.TryReadVarUInt(3, out var zigzag) != VarIntResult.Ok || !reader.TryReadByte(out var filtering))
        {
            return false;
        }
        var delta = WireWriter.UnZigZag(zigzag);
        if (Math.Abs(delta) > L.MaxNatDelta)
        {
            return false;
        }
        // Bytes after the known fields come from a newer writer and are ignored.
        endpoint = new AddressEndpoint
        {
            LanAddress = lan,
            PublicAddress = pub,
            ListenPort = listen,
            MappedPort = mapped,
            MappingMethod = (MappingMethod)method,
            Nat = new NatBehavior((NatMapping)mapping, (NatFiltering)filtering, (int)delta),
        };
        return true;
    }

    private static bool TryReadSignal(ReadOnlySpan<byte> value, out SignalEndpoint? signal)
    {
        signal = null;
        var reader = new WireReader(value);
        if (!reader.TryReadByte(out var kind))
        {
            return false;
        }
        string host;
        switch (kind)
        {
            case L.HostIPv4 or L.HostIPv6:
                if (!reader.TryReadBytes(kind == L.HostIPv4 ? 4 : 16, out var bytes))
                {
                    return false;
                }
                host = new IPAddress(bytes).ToString();
                break;
            case L.HostName:
                if (!reader.TryReadByte(out var length) || !reader.TryReadBytes(length, out var name))
                {
                    return false;
                }
                host = System.Text.Encoding.ASCII.GetString(name);
                if (!SignalEndpoint.IsValidHostName(host))
                {
                    return false;
                }
                break;
            default:
                return false;
        }
        if (!reader.TryReadUInt16(out var port) || port == 0)
        {
            return false;
        }
        signal = new SignalEndpoint(host, port);
        return true;
    }
}
