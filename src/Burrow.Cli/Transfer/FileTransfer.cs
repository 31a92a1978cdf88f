using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Burrow.Transport;

namespace Burrow.Cli.Transfer;

/// <summary>
/// One file over an authenticated stream: an offer message, the bytes, a SHA-256 message; the receiver
/// answers with a verdict message. Messages are length-prefixed (<see cref="MessageStream"/>); the bytes in
/// between are the raw stream.
/// </summary>
internal static class FileTransfer
{
    private const int ChunkSize = 128 * 1024;

    /// <summary>Sends <paramref name="file"/>; returns its SHA-256, or throws when the receiver refuses it.</summary>
    public static async Task<byte[]> SendAsync(Stream peer, FileOffer offer, Stream file, IProgress<long> progress, CancellationToken cancellationToken)
    {
        var messages = new MessageStream(peer);
        await messages.WriteAsync(offer.Encode(), cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await CopyAsync(file, peer, offer.Size, hash, progress, cancellationToken);
        var digest = hash.GetHashAndReset();
        await messages.WriteAsync(digest, cancellationToken);
        var verdict = await messages.ReadAsync(cancellationToken)
            ?? throw new IOException("The receiver closed the connection before confirming the file.");
        using var json = JsonDocument.Parse(verdict);
        return json.RootElement.GetProperty("ok").GetBoolean()
            ? digest
            : throw new InvalidDataException($"The receiver refused the file: {json.RootElement.GetProperty("reason").GetString()}");
    }

    /// <summary>Receives the offer (first) and then the file into <paramref name="open"/>'s stream; verifies it and tells the sender.</summary>
    public static async Task<(FileOffer Offer, byte[] Sha256)> ReceiveAsync(
        Stream peer, Func<FileOffer, Stream> open, IProgress<long> progress, CancellationToken cancellationToken)
    {
        var messages = new MessageStream(peer);
        var offer = FileOffer.Decode(await messages.ReadAsync(cancellationToken) ?? throw new IOException("The sender closed the connection without offering a file."));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var file = open(offer))
        {
            await CopyAsync(peer, file, offer.Size, hash, progress, cancellationToken);
        }
        var digest = hash.GetHashAndReset();
        var claimed = await messages.ReadAsync(cancellationToken) ?? throw new IOException("The sender closed the connection before the checksum.");
        var ok = CryptographicOperations.FixedTimeEquals(claimed, digest);
        await messages.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["ok"] = ok,
            ["reason"] = ok ? "" : "checksum mismatch",
        }), cancellationToken);
        return ok ? (offer, digest) : throw new InvalidDataException("The file's SHA-256 does not match the sender's: it was not kept.");
    }

    private static async Task CopyAsync(Stream from, Stream to, long size, IncrementalHash hash, IProgress<long> progress, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            for (long done = 0; done < size;)
            {
                var n = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, size - done)), cancellationToken);
                if (n == 0)
                {
                    throw new IOException($"The stream ended after {done} of {size} bytes.");
                }
                hash.AppendData(buffer, 0, n);
                await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                done += n;
                progress.Report(done);
            }
            await to.FlushAsync(cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
