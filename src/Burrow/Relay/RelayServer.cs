using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Burrow.Transport;
using Microsoft.Extensions.Logging;

namespace Burrow.Relay;

/// <summary>
/// The last resort: pairs two TCP connections that bind the same token and copies bytes between them, within
/// <see cref="RelayServerOptions.Limits"/>. The peers' own TLS runs through it end to end, so it carries only
/// ciphertext and cannot pose as either peer. A bind that is malformed, late, or finds the relay full is
/// answered and closed. A session that reaches its byte, time or idle limit sends both sides end-of-stream after the
/// bytes it forwarded and closes once they close, or after <see cref="RelayServerOptions.CloseTimeout"/>.
/// </summary>
public sealed class RelayServer : IAsyncDisposable
{
    private static readonly Meter Meter = new("Burrow.Relay");
    private static readonly Counter<long> Paired = Meter.CreateCounter<long>("burrow.relay.sessions", description: "Relay sessions paired");
    internal static readonly Counter<long> Bytes = Meter.CreateCounter<long>("burrow.relay.bytes", "By", "Bytes relayed");

    private readonly RelayServerOptions _options;
    private readonly List<Socket> _listeners;
    private readonly RelayWaitingRoom<Socket> _room = new();
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

    public static RelayServer Start(RelayServerOptions options) => Start(options, static (listener, ct) => listener.AcceptAsync(ct));

    /// <summary>Connections (paired, waiting or being refused) the relay holds now.</summary>
    internal int Connections => Volatile.Read(ref _connections);

    /// <summary>As <see cref="Start(RelayServerOptions)"/>, accepting with <paramref name="accept"/> (for tests).</summary>
    internal static RelayServer Start(RelayServerOptions options, Func<Socket, CancellationToken, ValueTask<Socket>> accept)
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
        server._loops.AddRange(listeners.Select(l => AcceptLoop.RunAsync(ct => accept(l, ct), socket => _ = server.HandleAsync(socket),
            l.LocalEndPoint!.ToString()!, server._logger, options.Time, server._stopping.Token)));
        return server;
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
            var key = Convert.ToHexString(token);
            if (_room.Enter(key, socket) is not { } wait)
            {
                pairedOff = true; // the waiting side runs the session
                return;
            }
            Socket? partner;
            try
            {
                partner = await wait.WaitAsync(_options.PairTimeout, _options.Time, _stopping.Token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                partner = _room.Leave(key, wait); // null unless paired at the last moment
            }
            if (partner is null)
            {
                await RefuseAsync(RelayStatus.NoPeer).ConfigureAwait(false);
                return;
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
            using var splice = new RelaySplice(a, b, _options, _stopping.Token);
            await ReplyAsync(a, RelayStatus.Paired).ConfigureAwait(false);
            await ReplyAsync(b, RelayStatus.Paired).ConfigureAwait(false);
            var (ab, ba, reason) = await splice.RunAsync().ConfigureAwait(false);
            RelayLog.Ended(_logger, ab, ba, reason);
        }
        finally
        {
            b.Dispose();
            Interlocked.Decrement(ref _connections);
        }
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
