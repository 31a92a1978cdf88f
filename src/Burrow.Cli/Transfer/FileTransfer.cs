using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Burrow.Transport;

namespace Burrow.Cli.Transfer;

/// <summary>
/// One file over an authenticated stream: an offer message, the bytes, a SHA-256 message; the receiver
/// answers with a verdict message. Messages are length-prefixed (<see cref="MessageStream"/>); the bytes in
/// between are the raw stream. A relayed link may move to a direct connection during the bytes
/// (<see cref="TransferLink"/>); the messages after them go where the bytes ended.
/// </summary>
internal static class FileTransfer
{
    private const int ChunkSize = 128 * 1024;

    /// <summary>Sends <paramref name="file"/>; returns its SHA-256, or throws when the receiver refuses it.</summary>
    public static async Task<byte[]> SendAsync(TransferLink peer, FileOffer offer, Stream file, IProgress<long> progress, CancellationToken cancellationToken)
    {
        await new MessageStream(peer.Stream).WriteAsync(offer.Encode(), cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await CopyAsync(ended => ValueTask.FromResult<Stream?>(ended ? null : file), async () => { await peer.MoveIfReadyAsync(); return peer.Stream; }, offer.Size, hash, progress, cancellationToken);
        var digest = hash.GetHashAndReset();
        var messages = new MessageStream(peer.Stream);
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
        TransferLink peer, Func<FileOffer, Stream> open, IProgress<long> progress, CancellationToken cancellationToken)
    {
        var offer = FileOffer.Decode(await new MessageStream(peer.Stream).ReadAsync(cancellationToken)
            ?? throw new IOException("The sender closed the connection without offering a file."));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var file = open(offer))
        {
            // The stream ending early is the sender moving to a direct connection, or a real end.
            await CopyAsync(async ended => ended && !await peer.FollowAsync(cancellationToken) ? null : peer.Stream, () => ValueTask.FromResult(file),
                offer.Size, hash, progress, cancellationToken);
        }
        var digest = hash.GetHashAndReset();
        var messages = new MessageStream(peer.Stream);
        var claimed = await messages.ReadAsync(cancellationToken) ?? throw new IOException("The sender closed the connection before the checksum.");
        var ok = CryptographicOperations.FixedTimeEquals(claimed, digest);
        await messages.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["ok"] = ok,
            ["reason"] = ok ? "" : "checksum mismatch",
        }), cancellationToken);
        return ok ? (offer, digest) : throw new InvalidDataException("The file's SHA-256 does not match the sender's: it was not kept.");
    }

    /// <summary>
    /// Copies <paramref name="size"/> bytes chunk by chunk. The streams are asked for at each chunk, so either
    /// may change between two: <paramref name="source"/> is told whether the last read ended the stream (it
    /// gives the stream to read on, or null when there is no more), <paramref name="target"/> gives the stream
    /// to write the next chunk to.
    /// </summary>
    private static async Task CopyAsync(Func<bool, ValueTask<Stream?>> source, Func<ValueTask<Stream>> target, long size, IncrementalHash hash,
        IProgress<long> progress, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            var ended = false;
            Stream? to = null;
            for (long done = 0; done < size;)
            {
                var from = await source(ended) ?? throw new IOException($"The stream ended after {done} of {size} bytes.");
                var n = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, size - done)), cancellationToken);
                if (ended = n == 0)
                {
                    continue;
                }
                hash.AppendData(buffer, 0, n);
                to = await target();
                await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                done += n;
                progress.Report(done);
            }
            if (to is not null)
            {
                await to.FlushAsync(cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
