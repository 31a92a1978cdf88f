using System.Text.Json;

namespace Burrow.Cli.Transfer;

/// <summary>
/// The first message of a file transfer: the file's name (a bare name; the receiver decides the folder) and
/// its size. Pure: parsing any bytes yields an offer or a typed error.
/// </summary>
internal sealed record FileOffer(string Name, long Size)
{
    public const int MaxNameLength = 255;

    public byte[] Encode() => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["name"] = Name, ["size"] = Size });

    /// <summary>The offer, or an <see cref="InvalidDataException"/> saying what is wrong with it.</summary>
    public static FileOffer Decode(ReadOnlySpan<byte> message) => WireJson.Decode(message, "The file offer is not a valid offer message.", root =>
    {
        var name = root.GetProperty("name").GetString() ?? "";
        var size = root.GetProperty("size").GetInt64();
        return size < 0 ? throw new InvalidDataException($"The offered size {size} is negative.")
            : SafeName(name) is { } safe ? new FileOffer(safe, size)
            : throw new InvalidDataException($"The offered file name '{name}' is not a plain file name.");
    });

    /// <summary>The name if it is a plain file name (no folder, no "..", no control characters), else null.</summary>
    public static string? SafeName(string name) =>
        name.Length is > 0 and <= MaxNameLength
        && name is not ("." or "..")
        && Path.GetFileName(name) == name
        && name.IndexOfAny(['/', '\\', '\0']) < 0
        && !name.Any(char.IsControl)
            ? name : null;
}
