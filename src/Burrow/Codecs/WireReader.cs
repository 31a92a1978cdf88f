using System.Buffers.Binary;

namespace Burrow.Codecs;

/// <summary>A bounds-checked reader over untrusted bytes: every read reports failure instead of throwing.</summary>
internal ref struct WireReader(ReadOnlySpan<byte> data)
{
    private ReadOnlySpan<byte> _rest = data;

    public readonly int Remaining => _rest.Length;

    public readonly bool IsEmpty => _rest.IsEmpty;

    public bool TryReadByte(out byte value)
    {
        value = 0;
        if (_rest.IsEmpty)
        {
            return false;
        }
        value = _rest[0];
        _rest = _rest[1..];
        return true;
    }

    public bool TryReadUInt16(out ushort value)
    {
        value = 0;
        if (_rest.Length < 2)
        {
            return false;
        }
        value = BinaryPrimitives.ReadUInt16BigEndian(_rest);
        _rest = _rest[2..];
        return true;
    }

    public bool TryReadBytes(int count, out ReadOnlySpan<byte> value)
    {
        value = default;
        if ((uint)count > (uint)_rest.Length)
        {
            return false;
        }
        value = _rest[..count];
        _rest = _rest[count..];
        return true;
    }

    /// <summary>
    /// Reads an unsigned LEB128 integer of at most <paramref name="maxBytes"/> bytes. Returns
    /// <see cref="VarIntResult.Truncated"/> when the data ends inside it and <see cref="VarIntResult.Invalid"/>
    /// when it is too long or not in its shortest form (one value, one encoding).
    /// </summary>
    public VarIntResult TryReadVarUInt(int maxBytes, out ulong value)
    {
        value = 0;
        for (var i = 0; i < maxBytes; i++)
        {
            if (!TryReadByte(out var b))
            {
                return VarIntResult.Truncated;
            }
            value |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                return b == 0 && i > 0 ? VarIntResult.Invalid : VarIntResult.Ok;
            }
        }
        return VarIntResult.Invalid;
    }
}

internal enum VarIntResult
{
    Ok,
    Truncated,
    Invalid,
}
