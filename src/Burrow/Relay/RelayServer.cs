using System.Buffers;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Burrow.Relay;

/// <summary>
/// The last resort: pairs two TCP connections that bind the same token and copies bytes between them, within
/// <see cref="RelayServerOptions.Limits"/>. The peers' own TLS runs through it end to end, so it carries only
/// ciphertext and cannot pose as either peer. A bind that is malformed, late, or finds the relay full is
/// answered and closed; a session that reaches its byte or time limit is closed on both sides.
/// </summary>
public sealed class RelayServer : IAsyncDisposable
{
    private static readonly Meter Meter = new("Burrow.Relay");
    private static readonly Counter<long> Paired = Meter.CreateCounter<long>("burrow.relay.sessions", description: "Relay sessions paired");
    private static readonly Counter<long> Bytes = Meter.CreateCounter<long>("burrow.relay.bytes", "By", "Bytes relayed");

    private readonly RelayServerOptions _options;
    private readonly List<Socket> _listeners;
    private readonly Dictionary<string, TaskCompletionSource<Socket>> _waiting = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;
    private readonly List<Task> _loops = [];
    private int _connections;

    private RelayServer(RelayServerOptions options, List<Socket> listeners)
    {
        _options = options;
        _listeners = listeners;
        _logger = options.LoggerFactory.CreateLogger<RelayServer>();
        EndPoints = [.. listeners.Select(l => (IPEndPoint)l.LocalEndPoint!)];
    }

    /// <summary>Where the relay listens, as bound.</summary>
    public IReadOnlyList<IPEndPoint> EndPoints { get; }

    public static RelayServer Start(RelayServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var listeners = new List<Socket>();
        try
        {
            foreach (var endpoint in options.ListenEndpoints)
            {
                var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                listeners.Add(listener);
                listener.Bind(endpoint);
                listener.Listen(512);
            }
        }
        catch
        {
            listeners.ForEach(l => l.Dispose());
            throw;
        }
        var server = new RelayServer(options, listeners);
        server._loops.AddRange(listeners.Select(server.AcceptLoopAsync));
        return server;
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        try
        {
            while (true)
            {
                var socket = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
                socket.NoDelay = true;
                _ = HandleAsync(socket);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // stopping
        }
    }

    private async Task HandleAsync(Socket socket)
    {
        var pairedOff = false;
        var counted = true;
        var count = Interlocked.Increment(ref _connections);
        // A refused connection gives its slot back before it is told so: a client that retries on the answer must
        // not find the relay still counting the connection it was just refused on.
        async Task RefuseAsync(RelayStatus status)
        {
            Release();
            await ReplyAsync(socket, status).ConfigureAwait(false);
        }
        void Release()
        {
            if (counted)
            {
                counted = false;
                Interlocked.Decrement(ref _connections);
            }
        }
        try
        {
            if (count > 2 * _options.MaxSessions)
            {
                await RefuseAsync(RelayStatus.Full).ConfigureAwait(false);
                return;
            }
            var token = await ReadBindAsync(socket).ConfigureAwait(false);
            if (token is null)
            {
                await RefuseAsync(RelayStatus.BadRequest).ConfigureAwait(false);
                return;
            }
            TaskCompletionSource<Socket>? other;
            var key = Convert.ToHexString(token);
            lock (_lock)
            {
                if (_waiting.Remove(key, out other))
                {
                    pairedOff = other.TrySetResult(socket); // the waiting side runs the session
                }
                else
                {
                    other = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _waiting[key] = other;
                }
            }
            if (pairedOff)
            {
                return;
            }
            Socket partner;
            try
            {
                partner = await other.Task.WaitAsync(_options.PairTimeout, _options.Time, _stopping.Token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                lock (_lock)
                {
                    _waiting.Remove(key);
                }
                if (other.Task.IsCompletedSuccessfully)
                {
                    partner = other.Task.Result; // paired at the last moment
                }
                else
                {
                    await RefuseAsync(RelayStatus.NoPeer).ConfigureAwait(false);
                    return;
                }
            }
            await RunSessionAsync(socket, partner).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            RelayLog.Dropped(_logger, e.Message);
        }
        finally
        {
            if (!pairedOff)
            {
                socket.Dispose();
                Release();
            }
        }
    }

    private async Task RunSessionAsync(Socket a, Socket b)
    {
        try
        {
            Paired.Add(1);
            RelayLog.Paired(_logger, a.RemoteEndPoint?.ToString() ?? "?", b.RemoteEndPoint?.ToString() ?? "?");
            await ReplyAsync(a, RelayStatus.Paired).ConfigureAwait(false);
            await ReplyAsync(b, RelayStatus.Paired).ConfigureAwait(false);
            using var session = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            session.CancelAfter(_options.Limits.MaxDuration);
            var ab = PumpAsync(a, b, session);
            var ba = PumpAsync(b, a, session);
            await Task.WhenAll(ab, ba).ConfigureAwait(false);
            RelayLog.Ended(_logger, await ab.ConfigureAwait(false), await ba.ConfigureAwait(false), session.IsCancellationRequested ? "limit reached or stopping" : "both sides closed");
        }
        finally
        {
            b.Dispose();
            Interlocked.Decrement(ref _connections);
        }
    }

    /// <summary>Copies one direction; past the byte limit (or the time limit) it ends the whole session.</summary>
    private async Task<long> PumpAsync(Socket from, Socket to, CancellationTokenSource session)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        long total = 0;
        try
        {
            int n;
            while ((n = await from.ReceiveAsync(buffer, SocketFlags.None, session.Token).ConfigureAwait(false)) > 0)
            {
                total += n;
                if (total > _options.Limits.MaxBytes)
                {
                    await session.CancelAsync().ConfigureAwait(false);
                    break;
                }
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, session.Token).ConfigureAwait(false);
                Bytes.Add(n);
            }
            if (!session.IsCancellationRequested)
            {
                to.Shutdown(SocketShutdown.Send); // pass the half-close on: the peer's reads end, its TLS sees close_notify first
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            await session.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        if (session.IsCancellationRequested)
        {
            from.Close(0); // limit reached or a side broke: end both at once
            to.Close(0);
        }
        return total;
    }

    private async Task<byte[]?> ReadBindAsync(Socket socket)
    {
        var bind = new byte[RelayHandshake.BindSize];
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        deadline.CancelAfter(_options.BindTimeout);
        var got = 0;
        while (got < bind.Length)
        {
            var n = await socket.ReceiveAsync(bind.AsMemory(got), SocketFlags.None, deadline.Token).ConfigureAwait(false);
            if (n == 0)
            {
                return null;
            }
            got += n;
        }
        return RelayHandshake.TryDecodeBind(bind);
    }

    private async Task ReplyAsync(Socket socket, RelayStatus status) =>
        await socket.SendAsync(RelayHandshake.EncodeReply(status, _options.Limits), SocketFlags.None, _stopping.Token).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listeners.ForEach(l => l.Dispose());
        await Task.WhenAll(_loops).ConfigureAwait(false); // sessions in flight end on the cancelled token
    }
}

internal static partial class RelayLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Relay session paired: {A} <-> {B}")]
    public static partial void Paired(ILogger logger, string a, string b);

    [LoggerMessage(Level = LogLevel.Information, Message = "Relay session ended: {AtoB} and {BtoA} bytes ({Reason})")]
    public static partial void Ended(ILogger logger, long atoB, long btoA, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Relay connection dropped: {Reason}")]
    public static partial void Dropped(ILogger logger, string reason);
}
