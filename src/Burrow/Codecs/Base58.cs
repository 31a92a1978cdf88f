namespace Burrow.Codecs;

/// <summary>
/// Bitcoin-alphabet base58: letters and digits only, without the look-alikes 0 O I l, so a string survives being
/// pasted into chats, URLs and terminals, and double-click selects all of it.
/// </summary>
public static class Base58
{
    private const string Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    private static readonly sbyte[] Digits = BuildDigits();

    public static string Encode(ReadOnlySpan<byte> data)
    {
        var zeros = 0;
        while (zeros < data.Length && data[zeros] == 0)
        {
            zeros++;
        }
        // log(256)/log(58) < 1.366: enough digits for the number.
        var digits = new byte[(data.Length - zeros) * 138 / 100 + 1];
        var length = 0;
        for (var i = zeros; i < data.Length; i++)
        {
            int carry = data[i];
            for (var j = 0; j < length; j++)
            {
                carry += digits[j] << 8;
                digits[j] = (byte)(carry % 58);
                carry /= 58;
            }
            while (carry > 0)
            {
                digits[length++] = (byte)(carry % 58);
                carry /= 58;
            }
        }
        var chars = new char[zeros + length];
        chars.AsSpan(0, zeros).Fill('1');
        for (var k = 0; k < length; k++)
        {
            chars[zeros + k] = Alphabet[digits[length - 1 - k]];
        }
        return new string(chars);
    }

    /// <summary>Decodes base58 text; false on a character outside the alphabet. Cost is quadratic: bound the input.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, out byte[] data)
    {
        var zeros = 0;
        while (zeros < text.Length && text[zeros] == '1')
        {
            zeros++;
        }
        // log(58)/log(256) < 0.733: enough bytes for the number.
        var bytes = new byte[(text.Length - zeros) * 733 / 1000 + 1];
        var length = 0;
        for (var i = zeros; i < text.Length; i++)
        {
            var c = text[i];
            var digit = c < Digits.Length ? Digits[c] : -1;
            if (digit < 0)
            {
                data = [];
                return false;
            }
            var carry = (int)digit;
            for (var j = 0; j < length; j++)
            {
                carry += bytes[j] * 58;
                bytes[j] = (byte)carry;
                carry >>= 8;
            }
            while (carry > 0)
            {
                bytes[length++] = (byte)carry;
                carry >>= 8;
            }
        }
        data = new byte[zeros + length];
        for (var k = 0; k < length; k++)
        {
            data[zeros + k] = bytes[length - 1 - k];
        }
        return true;
    }

    private static sbyte[] BuildDigits()
    {
        var digits = new sbyte[128];
        Array.Fill(digits, (sbyte)-1);
        for (var i = 0; i < Alphabet.Length; i++)
        {
            digits[Alphabet[i]] = (sbyte)i;
        }
        return digits;
    }
}
