using System.Globalization;
using System.Net;

namespace Burrow.PortMapping;

/// <summary>The IPv4 default gateway, from the kernel's routing table (Linux /proc/net/route).</summary>
public static class DefaultGateway
{
    public const string ProcNetRoute = "/proc/net/route";
    private const int RtfUp = 0x1, RtfGateway = 0x2;

    /// <summary>Reads the routing table file; null when there is no default route (or no such file).</summary>
    public static IPAddress? Find(string path = ProcNetRoute)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The gateway of the up default route (destination and mask 0, RTF_GATEWAY) with the lowest metric.
    /// Addresses are hexadecimal in the host's (little-endian) byte order.
    /// </summary>
    public static IPAddress? Parse(string table)
    {
        ArgumentNullException.ThrowIfNull(table);
        IPAddress? best = null;
        var bestMetric = int.MaxValue;
        foreach (var line in table.Split('\n').Skip(1))
        {
            var f = line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 8
                || !uint.TryParse(f[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var destination)
                || !uint.TryParse(f[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var gateway)
                || !int.TryParse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var flags)
                || !int.TryParse(f[6], NumberStyles.Integer, CultureInfo.InvariantCulture, out var metric)
                || !uint.TryParse(f[7], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var mask))
            {
                continue;
            }
            if (destination == 0 && mask == 0 && gateway != 0 && (flags & (RtfUp | RtfGateway)) == (RtfUp | RtfGateway) && metric < bestMetric)
            {
                best = new IPAddress(BitConverter.GetBytes(BitConverter.IsLittleEndian ? gateway : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(gateway)));
                bestMetric = metric;
            }
        }
        return best;
    }
}
