using System.Buffers;
using System.Security.Cryptography;
using Burrow.Transport;

namespace Burrow.Cli.Transfer;

/// <summary>
/// One file over an authenticated stream: an offer message, the bytes, a SHA-256 message; the receiver
/// answers with a verdict message once it has kept the file (or failed to). Messages are length-prefixed
/// (<see cref="MessageStream"/>); the bytes in between are the raw stream. A relayed link may move to a
/// direct connection during the bytes (<see cref="TransferLink"/>); the messages after them go where the
/// bytes ended. Each wait for the peer has a deadline (<see cref="TransferTimeouts"/>); the whole transfer has none.
/// </summary>
internal static class FileTransfer
{
    private const int ChunkSize = 128 * 1024;

    /// <summary>
    /// Sends <paramref name="file"/>; returns its SHA-256, or throws when the receiver refuses it (an
    /// <see cref="InvalidDataException"/>, also for a verdict that does not parse), stops answering (a
    /// <see cref="TimeoutException"/>), or when the file is more than a relayed link carries (in bytes or in time) and no direct connection
    /// came to finish it on (a <see cref="RelayLimitException"/>).
    /// </summary>
    public static async Task<byte[]> SendAsync(TransferLink peer, FileOffer offer, Stream file, IProgress<long> progress, TransferTimeouts timeouts,
        CancellationToken cancellationToken)
    {
        await new MessageStream(peer.Stream).WriteAsync(offer.Encode(), cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // A relayed link keeps within the relay's byte limit: it moves to the direct connection or stops before it.
        await CopyAsync(ended => ValueTask.FromResult<Stream?>(ended ? null : file),
            count => peer.ReserveAsync(count, offer.Size, timeouts.Direct, cancellationToken), offer.Size, hash, progress, timeouts.Stall, cancellationToken);
        var digest = hash.GetHashAndReset();
        var messages = new MessageStream(peer.Stream);
        await messages.WriteAsync(digest, cancellationToken);
        var verdict = TransferVerdict.Decode(await ReadAsync(messages, timeouts.Verdict, "The receiver's verdict", cancellationToken)
            ?? throw new IOException("The receiver closed the connection before confirming the file."));
        return verdict.Ok ? digest : throw new InvalidDataException($"The receiver refused the file: {(verdict.Reason.Length > 0 ? verdict.Reason : "no reason given")}");
    }

    /// <summary>
    /// Receives the offer (first) and then the file into <paramref name="open"/>'s stream (the caller's to
    /// dispose); once it is verified, has <paramref name="keep"/> keep it, and only then tells the sender.
    /// </summary>
    public static async Task<(FileOffer Offer, byte[] Sha256)> ReceiveAsync(TransferLink peer, Func<FileOffer, Stream> open, Action keep,
        IProgress<long> progress, TransferTimeouts timeouts, CancellationToken cancellationToken)
    {
        var offer = FileOffer.Decode(await ReadAsync(new MessageStream(peer.Stream), timeouts.Message, "The sender's file offer", cancellationToken)
            ?? throw new IOException("The sender closed the connection without offering a file."));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var file = open(offer);
        var received = new Counted(progress);
        long? movedAt = null; // how much had come when the relayed stream ended and the direct one took over
        async ValueTask<Stream?> FromAsync(bool ended)
        {
            // The stream ending early is the sender moving to a direct connection, or a real end.
            if (ended && !await peer.FollowAsync(cancellationToken))
            {
                return null;
            }
            movedAt ??= ended ? received.Value : null;
            return peer.Stream;
        }
        try
        {
            await CopyAsync(FromAsync, count => ValueTask.FromResult((file, count)), offer.Size, hash, received, timeouts.Stall, cancellationToken);
        }
        catch (IOException e) when (RelayLimitOf(peer, offer.Size, received.Value, movedAt, timeouts.Direct, e) is { } limit)
        {
            throw limit; // the sender stopped where the relay's limit would have, or the relay ended the session: say why, not just that the stream ended
        }
        var digest = hash.GetHashAndReset();
        var messages = new MessageStream(peer.Stream);
        var claimed = await ReadAsync(messages, timeouts.Message, "The sender's checksum", cancellationToken)
            ?? throw new IOException("The sender closed the connection before the checksum.");
        if (!CryptographicOperations.FixedTimeEquals(claimed, digest))
        {
            await messages.WriteAsync(TransferVerdict.Refused("checksum mismatch").Encode(), cancellationToken);
            throw new InvalidDataException("The file's SHA-256 does not match the sender's: it was not kept.");
        }
        try
        {
            keep();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await messages.WriteAsync(TransferVerdict.Refused("the receiver could not save the file").Encode(), cancellationToken);
            throw new IOException($"The file was verified but could not be kept: {e.Message}", e);
        }
        await messages.WriteAsync(TransferVerdict.Kept.Encode(), cancellationToken);
        return (offer, digest);
    }

    /// <summary>
    /// Which of the relay's limits ended a transfer that began on the relay short of the file: the byte limit if the whole
    /// budget came, else the duration limit if the session is at its end (see <see cref="RelayDeadline"/>). Null when
    /// neither explains the end, or when <paramref name="e"/> is not one they explain: on the relay, an end
    /// (<see cref="EndOfStreamException"/>: the sender stopped there) or a cut (<c>stream_truncated</c>: the relay ended the
    /// session before what was sent through it arrived); on the direct connection it moved to (at
    /// <paramref name="movedAt"/> bytes), an end before any byte came on it — the sender had given up and closed it unused.
    /// </summary>
    private static RelayLimitException? RelayLimitOf(TransferLink peer, long size, long received, long? movedAt, TimeSpan wait, IOException e)
    {
        var why = (peer.Current.IsRelayed, e) switch
        {
            (true, EndOfStreamException) => $"no direct connection came to finish on ({e.Message})",
            (true, { InnerException: ProtocolViolationException { Code: "stream_truncated" } }) => $"the relay ended the session after {received} bytes, before all it was sent had arrived",
            (false, EndOfStreamException) when movedAt == received => "the sender stopped before the direct connection was ready, and closed it unused",
            _ => null,
        };
        if (why is null)
        {
            return null;
        }
        if (peer.Budget is { } budget && size > budget.Total && received >= budget.Total)
        {
            return RelayLimitException.Bytes(budget.MaxBytes, size, why, e);
        }
        return peer.Deadline is { } deadline && deadline.IsUp(wait) ? RelayLimitException.Duration(deadline.MaxDuration, size, why, e) : null;
    }

    /// <summary>Progress that also keeps the latest count (reported synchronously, on the copying thread).</summary>
    private sealed class Counted(IProgress<long> inner) : IProgress<long>
    {
        public long Value { get; private set; }

        public void Report(long value)
        {
            Value = value;
            inner.Report(value);
        }
    }

    /// <summary>The next message, or a <see cref="TimeoutException"/> naming <paramref name="what"/> when none comes within <paramref name="limit"/>.</summary>
    private static async Task<byte[]?> ReadAsync(MessageStream messages, TimeSpan limit, string what, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            return await messages.ReadAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{what} did not come within {limit.TotalSeconds:0.###} s.");
        }
    }

    /// <summary>
    /// Copies <paramref name="size"/> bytes chunk by chunk. The streams are asked for at each chunk, so either
    /// may change between two: <paramref name="source"/> is told whether the last read ended the stream (it
    /// gives the stream to read on, or null when there is no more), <paramref name="target"/>, asked for up to so many
    /// bytes, gives the stream to write them to and how many of them to write there now (the rest it is asked for again).
    /// </summary>
    private static async Task CopyAsync(Func<bool, ValueTask<Stream?>> source, Func<int, ValueTask<(Stream Stream, int Count)>> target, long size, IncrementalHash hash,
        IProgress<long> progress, TimeSpan stall, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        long done = 0;
        try
        {
            var ended = false;
            Stream? to = null;
            while (done < size)
            {
                deadline.CancelAfter(stall); // for this chunk only: the next one starts its own wait
                var from = await source(ended) ?? throw new EndOfStreamException($"The stream ended after {done} of {size} bytes.");
                var n = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, size - done)), deadline.Token);
                if (ended = n == 0)
                {
                    continue;
                }
                hash.AppendData(buffer, 0, n);
                for (var written = 0; written < n; )
                {
                    deadline.CancelAfter(Timeout.InfiniteTimeSpan); // the target keeps its own time (a wait for a direct connection)
                    (to, var count) = await target(n - written);
                    deadline.CancelAfter(stall);
                    await to.WriteAsync(buffer.AsMemory(written, count), deadline.Token);
                    written += count;
                    done += count;
                    progress.Report(done);
                }
            }
            if (to is not null)
            {
                deadline.CancelAfter(stall);
                await to.FlushAsync(deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The file data stalled: nothing moved for {stall.TotalSeconds:0.###} s after {done} of {size} bytes.");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
