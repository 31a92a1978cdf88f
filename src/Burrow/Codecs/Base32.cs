namespace Burrow.Codecs;

/// <summary>RFC 4648 base32, lowercase, without padding: case-insensitive and safe in file names and URLs.</summary>
public static class Base32
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    public static string Encode(ReadOnlySpan<byte> data)
    {
        var chars = new char[(data.Length * 8 + 4) / 5];
        int buffer = 0, bits = 0, index = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[index++] = Alphabet[(buffer >> (bits - 5)) & 31];
                bits -= 5;
            }
        }
        if (bits > 0)
        {
            chars[index++] = Alphabet[(buffer << (5 - bits)) & 31];
        }
        return new string(chars, 0, index);
    }

    /// <summary>Decodes <paramref name="text"/> (any case); false on a character outside the alphabet.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, out byte[] data)
    {
        data = new byte[text.Length * 5 / 8];
        int buffer = 0, bits = 0, index = 0;
        foreach (var c in text)
        {
            var value = char.ToLowerInvariant(c) switch
            {
                >= 'a' and <= 'z' and var l => l - 'a',
                >= '2' and <= '7' and var d => d - '2' + 26,
                _ => -1,
            };
            if (value < 0)
            {
                data = [];
                return false;
            }
            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8)
            {
                data[index++] = (byte)(buffer >> (bits - 8));
                bits -= 8;
            }
        }
        return true;
    }
}
