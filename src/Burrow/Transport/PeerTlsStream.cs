using System.Buffers;
using System.Net.Security;

namespace Burrow.Transport;

/// <summary>
/// A peer's TLS stream whose end is trustworthy. TLS marks a sender's end with close_notify, so that whoever
/// carries the bytes — a relay, or anyone on the path forging a FIN — cannot cut the stream short unseen; but
/// <see cref="SslStream"/> returns 0 for a transport that just ended as it does for close_notify. This one
/// tells them apart: after close_notify the transport has not ended yet (<see cref="WatchedTransport"/>), so a
/// read returns 0 as usual; a transport that ended first makes every read from then on throw an
/// <see cref="IOException"/> whose inner exception is a <see cref="ProtocolViolationException"/> with the code
/// <c>stream_truncated</c> — as does the transport ending inside a TLS record (<see cref="CutInside"/>). Every read path goes through both.
/// </summary>
internal sealed class PeerTlsStream : SslStream
{
    private const int Idle = 0;
    private const int Writing = 1;
    private const int Shut = 2;
    private readonly WatchedTransport _transport;
    private int _writing; // Idle, Writing or Shut: close_notify never goes out in the middle of a write
    private volatile bool _disposed;
    private bool _cut;
    private bool _ended;

    public PeerTlsStream(WatchedTransport transport, RemoteCertificateValidationCallback validate)
        : base(transport, leaveInnerStreamOpen: false, validate) => _transport = transport;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfCut();
        int read;
        await _transport.EnterReadAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            read = await base.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (CutInside(e))
        {
            throw Cut(e);
        }
        finally
        {
            _transport.ExitRead();
        }
        return Checked(read, buffer.Length);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        ThrowIfCut();
        int read;
        _transport.EnterRead();
        try
        {
            read = base.Read(buffer, offset, count);
        }
        catch (IOException e) when (CutInside(e))
        {
            throw Cut(e);
        }
        finally
        {
            _transport.ExitRead();
        }
        return Checked(read, count);
    }

    public override int Read(Span<byte> buffer)
    {
        // Through Read(byte[]), which holds the gate: base.Read(Span) would take it twice wherever SslStream leaves that
        // overload to Stream's default (which calls Read(byte[]) back). A span read is rare here; the copy is cheap.
        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var read = Read(rented, 0, buffer.Length);
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override int ReadByte()
    {
        var one = new byte[1];
        return Read(one, 0, 1) == 0 ? -1 : one[0];
    }

    public override IAsyncResult BeginRead(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
        TaskToAsyncResult.Begin(ReadAsync(buffer, offset, count, CancellationToken.None), callback, state);

    public override int EndRead(IAsyncResult asyncResult) => TaskToAsyncResult.End<int>(asyncResult);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var mine = BeginWriting();
        try
        {
            await base.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            EndWriting(mine);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        var mine = BeginWriting();
        try
        {
            base.Write(buffer, offset, count);
        }
        finally
        {
            EndWriting(mine);
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var mine = BeginWriting();
        try
        {
            base.Write(buffer);
        }
        finally
        {
            EndWriting(mine);
        }
    }

    public override IAsyncResult BeginWrite(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
        TaskToAsyncResult.Begin(WriteAsync(buffer, offset, count, CancellationToken.None), callback, state);

    public override void EndWrite(IAsyncResult asyncResult) => TaskToAsyncResult.End(asyncResult);

    /// <summary>
    /// Sends close_notify — refused (<see cref="InvalidOperationException"/>) while a write is in progress: it would land
    /// between two of that write's records, and the peer would read a clean end short of the data. Its SSL_shutdown runs
    /// with no read inside OpenSSL (see <see cref="WatchedTransport"/>); the write of it after that does not wait for reads.
    /// </summary>
    public override async Task ShutdownAsync()
    {
        switch (Interlocked.CompareExchange(ref _writing, Shut, Idle))
        {
            case Writing:
                throw new InvalidOperationException("A write is in progress: close_notify now would end the stream inside it.");
            case Shut:
                throw new InvalidOperationException("close_notify was sent already.");
        }
        await (await _transport.OutsideReadsAsync(base.ShutdownAsync).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>A write begins: true when it is the outermost one (SslStream's overloads call each other), which ends it.</summary>
    private bool BeginWriting()
    {
        var was = Interlocked.CompareExchange(ref _writing, Writing, Idle);
        if (was == Shut)
        {
            ObjectDisposedException.ThrowIf(_disposed, this); // what a write on a closed stream says
            throw new InvalidOperationException("close_notify was sent: nothing more can be written.");
        }
        return was == Idle;
    }

    private void EndWriting(bool mine)
    {
        if (mine)
        {
            Volatile.Write(ref _writing, Idle);
        }
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        _disposed = true;
        return base.DisposeAsync();
    }

    private int Checked(int read, int asked)
    {
        if (read == 0 && asked > 0 && !_ended)
        {
            _ended = true;
            _cut = _transport.Ended; // close_notify ends the TLS stream before the transport's end is read
            ThrowIfCut();
        }
        return read;
    }

    /// <summary>Whether <paramref name="e"/> is the transport ending inside a TLS record (the stream is then cut from now on).</summary>
    private bool CutInside(IOException e)
    {
        if (_ended || !_transport.Ended)
        {
            return false;
        }
        _ended = _cut = true;
        return true;
    }

    private void ThrowIfCut()
    {
        if (_cut)
        {
            throw Cut(null);
        }
    }

    private static IOException Cut(IOException? inside)
    {
        const string message = "The peer's stream was cut: its transport ended without the TLS close_notify that marks the peer's end, so data may be missing " +
            "(a connection reset or cut on the way; on a relayed connection, the relay ending the session at one of its limits).";
        return new IOException(message, new ProtocolViolationException("stream_truncated", message, inside));
    }
}
