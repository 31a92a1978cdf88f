using System.Security.Cryptography;

namespace Burrow.Probing.Stun;

/// <summary>A 96-bit STUN transaction id.</summary>
public readonly record struct StunTransactionId(UInt128 Value)
{
    public const int Length = 12;

    public static StunTransactionId New()
    {
        Span<byte> bytes = stackalloc byte[Length];
        RandomNumberGenerator.Fill(bytes);
        return From(bytes);
    }

    public static StunTransactionId From(ReadOnlySpan<byte> twelveBytes)
    {
        UInt128 value = 0;
        foreach (var b in twelveBytes[..Length])
        {
            value = (value << 8) | b;
        }
        return new StunTransactionId(value);
    }

    public void CopyTo(Span<byte> destination)
    {
        var value = Value;
        for (var i = Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)value;
            value >>= 8;
        }
    }

    public override string ToString() => Value.ToString("x24", System.Globalization.CultureInfo.InvariantCulture);
}
