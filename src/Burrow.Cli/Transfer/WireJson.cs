using System.Text.Json;

namespace Burrow.Cli.Transfer;

/// <summary>The JSON messages of a transfer come from the peer: reading one yields a value or an <see cref="InvalidDataException"/>, never another exception.</summary>
internal static class WireJson
{
    /// <summary>
    /// <paramref name="read"/> applied to the message's root element. A message that is not JSON, or lacks a
    /// property or has one of the wrong type, becomes an <see cref="InvalidDataException"/> saying <paramref name="invalid"/>.
    /// </summary>
    public static T Decode<T>(ReadOnlySpan<byte> message, string invalid, Func<JsonElement, T> read)
    {
        try
        {
            using var json = JsonDocument.Parse(message.ToArray());
            return read(json.RootElement);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException(invalid, e);
        }
    }
}
