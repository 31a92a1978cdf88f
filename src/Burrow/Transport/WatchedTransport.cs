namespace Burrow.Transport;

/// <summary>
/// The transport under a peer's TLS stream, passed through unchanged, remembering whether the transport itself has
/// ended (a read for at least one byte returned none). <see cref="PeerTlsStream"/> tells by it whether its own end
/// came from the peer's close_notify (the transport still open) or from a bare FIN (the transport ended first).
/// It also holds the read gate: OpenSSL's SSL object is not safe for SSL_shutdown on one thread while SSL_read runs on
/// another (a read failed with "the decryption operation failed" in CI when the two met), so a read of the TLS stream
/// holds the gate (<see cref="EnterRead"/>) except while it waits for the transport here, and a shutdown takes it too.
/// </summary>
internal sealed class WatchedTransport(Stream inner) : PassThroughStream(inner)
{
    private readonly SemaphoreSlim _gate = new(1, 1); // never disposed: a read may still be giving it back after the stream is
    private bool _readHolds; // only the one reader touches it (a stream has one reader at a time)

    /// <summary>Whether a read of the transport has returned its end.</summary>
    public bool Ended { get; private set; }

    /// <summary>A read of the TLS stream begins: it holds the gate, and lets it go only while it waits here for the transport.</summary>
    public async ValueTask EnterReadAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        _readHolds = true;
    }

    /// <inheritdoc cref="EnterReadAsync"/>
    public void EnterRead()
    {
        _gate.Wait();
        _readHolds = true;
    }

    /// <summary>The read of the TLS stream is over.</summary>
    public void ExitRead()
    {
        _readHolds = false;
        _gate.Release();
    }

    /// <summary>Runs <paramref name="step"/> (the synchronous part of a TLS shutdown: SSL_shutdown) with no read inside OpenSSL.</summary>
    public async ValueTask<T> OutsideReadsAsync<T>(Func<T> step)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            return step();
        }
        finally
        {
            _gate.Release();
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var held = LetGo();
        try
        {
            return Seen(await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false), buffer.Length);
        }
        finally
        {
            if (held)
            {
                await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                _readHolds = true;
            }
        }
    }

    public override int Read(Span<byte> buffer)
    {
        var held = LetGo();
        try
        {
            return Seen(Inner.Read(buffer), buffer.Length);
        }
        finally
        {
            if (held)
            {
                EnterRead();
            }
        }
    }

    /// <summary>Before waiting for the transport: lets the gate go if a read of the TLS stream holds it; says whether it did.</summary>
    private bool LetGo()
    {
        if (!_readHolds)
        {
            return false; // the handshake, or no read of the TLS stream
        }
        ExitRead();
        return true;
    }

    private int Seen(int read, int asked)
    {
        Ended |= read == 0 && asked > 0; // a zero-byte read (a wait for data) returns 0 without an end
        return read;
    }
}
