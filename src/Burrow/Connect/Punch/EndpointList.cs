using System.Buffers;
using System.Net;
using Burrow.Codecs;

namespace Burrow.Connect.Punch;

/// <summary>
/// A short list of IP endpoints on the wire (pure): <c>count(1)</c>, then per endpoint
/// <c>version(1)=4|6 · address(4|16) · port(2, big-endian)</c>.
/// </summary>
internal static class EndpointList
{
    public const int MaxCount = 32;

    public static void Write(IBufferWriter<byte> writer, IReadOnlyList<IPEndPoint> endpoints)
    {
        if (endpoints.Count > MaxCount)
        {
            throw new ArgumentException($"At most {MaxCount} endpoints.", nameof(endpoints));
        }
        writer.WriteByte((byte)endpoints.Count);
        foreach (var endpoint in endpoints)
        {
            var bytes = endpoint.Address.GetAddressBytes();
            writer.WriteByte(bytes.Length == 4 ? (byte)4 : (byte)6);
            writer.WriteBytes(bytes);
            writer.WriteUInt16((ushort)endpoint.Port);
        }
    }

    /// <summary>Reads a list, or returns null when it is cut, has an unknown version or a port 0.</summary>
    public static List<IPEndPoint>? TryRead(ref WireReader reader)
    {
        if (!reader.TryReadByte(out var count) || count > MaxCount)
        {
            return null;
        }
        var endpoints = new List<IPEndPoint>(count);
        for (var i = 0; i < count; i++)
        {
            if (!reader.TryReadByte(out var version) || version is not (4 or 6)
                || !reader.TryReadBytes(version == 4 ? 4 : 16, out var address)
                || !reader.TryReadUInt16(out var port) || port == 0)
            {
                return null;
            }
            endpoints.Add(new IPEndPoint(new IPAddress(address), port));
        }
        return endpoints;
    }
}
