using System.Numerics;

namespace Burrow.Identity;

/// <summary>SEC 1 point compression for NIST P-256: 33 bytes on the wire instead of 65.</summary>
internal static class P256Point
{
    public const int CompressedSize = 33;
    public const int CoordinateSize = 32;

    private static readonly BigInteger P = Parse("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
    private static readonly BigInteger B = Parse("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b");
    private static readonly BigInteger SqrtExponent = (P + 1) / 4; // P ≡ 3 (mod 4)

    public static byte[] Compress(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        var compressed = new byte[CompressedSize];
        compressed[0] = (byte)(0x02 | (y[^1] & 1));
        x.CopyTo(compressed.AsSpan(1));
        return compressed;
    }

    /// <summary>Recovers (x, y) from a compressed point; false when the bytes are not a point on the curve.</summary>
    public static bool TryDecompress(ReadOnlySpan<byte> compressed, out byte[] x, out byte[] y)
    {
        x = y = [];
        if (compressed.Length != CompressedSize || (compressed[0] != 0x02 && compressed[0] != 0x03))
        {
            return false;
        }
        var xs = new BigInteger(compressed[1..], isUnsigned: true, isBigEndian: true);
        if (xs >= P)
        {
            return false;
        }
        var rhs = Mod(BigInteger.ModPow(xs, 3, P) - 3 * xs + B);
        var ys = BigInteger.ModPow(rhs, SqrtExponent, P);
        if (BigInteger.ModPow(ys, 2, P) != rhs)
        {
            return false;
        }
        if ((ys.IsEven ? 0 : 1) != (compressed[0] & 1))
        {
            ys = P - ys;
        }
        x = compressed[1..].ToArray();
        y = ToFixed(ys);
        return true;
    }

    private static BigInteger Mod(BigInteger value)
    {
        var r = value % P;
        return r.Sign < 0 ? r + P : r;
    }

    private static byte[] ToFixed(BigInteger value)
    {
        var raw = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var fixedSize = new byte[CoordinateSize];
        raw.CopyTo(fixedSize, CoordinateSize - raw.Length);
        return fixedSize;
    }

    private static BigInteger Parse(string hex) => new(Convert.FromHexString(hex), isUnsigned: true, isBigEndian: true);
}
