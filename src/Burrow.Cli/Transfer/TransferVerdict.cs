using System.Text.Json;

namespace Burrow.Cli.Transfer;

/// <summary>
/// The receiver's last message: whether it kept the file and, when not, why. Sent only once the file is
/// verified and in place (or known not to be). Pure: parsing any bytes yields a verdict or a typed error.
/// </summary>
internal sealed record TransferVerdict(bool Ok, string Reason)
{
    /// <summary>The longest reason kept from a peer's verdict; the rest is cut.</summary>
    public const int MaxReasonLength = 200;

    public static TransferVerdict Kept { get; } = new(true, "");

    public static TransferVerdict Refused(string reason) => new(false, reason);

    public byte[] Encode() => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["ok"] = Ok, ["reason"] = Reason });

    /// <summary>
    /// The verdict, or an <see cref="InvalidDataException"/>: <c>ok</c> must be a boolean; <c>reason</c> may be
    /// missing, else a string, of which only printable characters are kept (it is shown to the user).
    /// </summary>
    public static TransferVerdict Decode(ReadOnlySpan<byte> message) => WireJson.Decode(message, "The receiver's verdict is not a valid verdict message.", root =>
    {
        var ok = root.GetProperty("ok").GetBoolean();
        var reason = root.TryGetProperty("reason", out var given) ? given.GetString() ?? "" : "";
        return new TransferVerdict(ok, new string([.. reason.Where(c => !char.IsControl(c)).Take(MaxReasonLength)]));
    });
}
