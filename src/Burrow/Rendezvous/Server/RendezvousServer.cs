using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Burrow.Addressing;
using Burrow.Identity;
using Burrow.Node;
using Burrow.Rendezvous.Protocol;
using Burrow.Transport;
using Microsoft.Extensions.Logging;

namespace Burrow.Rendezvous.Server;

/// <summary>
/// A rendezvous server, embeddable in any process: nodes keep one TLS connection to it, or a datagram session
/// on the same port (<see cref="DatagramEndpoint"/>), proving their node key; it tells each node its observed public endpoint and the time, and forwards opaque signals between
/// registered nodes. State is in memory, one small entry per connected node, gone when the node disconnects,
/// its address expires, or it stops sending. Dispose it to stop.
/// </summary>
public sealed class RendezvousServer : IAsyncDisposable
{
    private readonly RendezvousServerOptions _options;
    private readonly NodeIdentity _identity;
    private readonly bool _ownsIdentity;
    private readonly TlsCredentials _credentials;
    private readonly NodeRegistry _registry;
    private readonly ConcurrentDictionary<Task, byte> _sessions = new();
    private readonly PendingAdmission _pending;
    private readonly RendezvousMetrics _metrics;
    private readonly ILogger _logger;
    private NodeListener? _listener;
    private DatagramEndpoint? _datagram;
    private int _disposed;

    private RendezvousServer(RendezvousServerOptions options)
    {
        _options = options;
        _ownsIdentity = options.Identity is null;
        _identity = options.Identity ?? NodeIdentity.Create();
        _credentials = new TlsCredentials(_identity, options.TimeProvider);
        _pending = new PendingAdmission(options.MaxPendingHandshakes, options.MaxPendingPerAddress);
        _logger = options.LoggerFactory.CreateLogger<RendezvousServer>();
        _metrics = new RendezvousMetrics(options.MeterFactory, () => _registry?.Count ?? 0);
        _registry = new NodeRegistry(options, _metrics, _logger);
    }

    /// <summary>The server's node id (its TLS key).</summary>
    public NodeId NodeId => _identity.NodeId;

    /// <summary>Where it listens, as bound.</summary>
    public IPEndPoint LocalEndPoint => _listener!.LocalEndPoint;

    /// <summary>Nodes registered now.</summary>
    public int RegisteredCount => _registry.Count;

    public static async Task<RendezvousServer> StartAsync(RendezvousServerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        var server = new RendezvousServer(options);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                server._listener = NodeListener.Start(options.Listen, 1024, server.OnAccepted, server._logger);
                if (!options.Datagram)
                {
                    break;
                }
                try
                {
                    var udp = new IPEndPoint(options.Listen.Address, server._listener.LocalEndPoint.Port);
                    server._datagram = DatagramEndpoint.Start(udp, server._registry, options, server._metrics, server._logger);
                    break;
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && options.Listen.Port == 0 && attempt < 8)
                {
                    // The OS picked a TCP port whose UDP twin is taken: pick again.
                    await server._listener.DisposeAsync().ConfigureAwait(false);
                    server._listener = null;
                }
            }
        }
        catch
        {
            if (server._listener is not null)
            {
                await server._listener.DisposeAsync().ConfigureAwait(false);
            }
            server.DisposeCredentials();
            throw;
        }
        RendezvousServerLog.Started(server._logger, server.NodeId.ToString(), server.LocalEndPoint.ToString());
        return server;
    }

    /// <summary>True when a node with that id is registered now.</summary>
    public bool IsRegistered(NodeId node) => _registry.Contains(node);

    /// <summary>Datagram sessions keeping their ciphers now (the others make them again at their next packet).</summary>
    internal int DatagramSessionsKeepingCiphers => _datagram?.SessionsKeepingCiphers ?? 0;

    /// <summary>TLS connections accepted and not registered yet (each holds a place among the pending).</summary>
    internal int PendingCount => _pending.Count;

    private Task OnAccepted(Socket socket, CancellationToken stopping)
    {
        // A place among the pending, held from the handshake to the registration: one host cannot hold them all.
        var from = (socket.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
        var admission = _pending.TryAdmit(from);
        if (admission != Admission.Admitted)
        {
            socket.Dispose();
            _metrics.Registration(admission == Admission.Busy ? "busy" : "busy_address");
            return Task.CompletedTask;
        }
        var session = RunAsync(socket, from, stopping);
        _sessions.TryAdd(session, 0);
        return session.ContinueWith(done => _sessions.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task RunAsync(Socket socket, IPAddress from, CancellationToken stopping)
    {
        await Task.Yield(); // off the accept loop
        var place = new PendingAdmission.Place(_pending, from);
        try
        {
            await ServeAsync(socket, place, stopping).ConfigureAwait(false);
        }
        finally
        {
            place.Leave();
        }
    }

    /// <summary>One node's connection: the handshake, the registration (which ends its <paramref name="place"/> among the pending), then its messages.</summary>
    private async Task ServeAsync(Socket socket, PendingAdmission.Place place, CancellationToken stopping)
    {
        var remote = socket.RemoteEndPoint?.ToString() ?? "?";
        RendezvousConnection connection;
        try
        {
            connection = await RendezvousConnection.EstablishAsync(socket, _credentials, TlsRole.Server, _options.HandshakeTimeout, _options.SendQueueLength, stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PeerAuthenticationException or OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            RendezvousServerLog.Closed(_logger, remote, $"no handshake: {e.Message}");
            return;
        }
        await using (connection.ConfigureAwait(false))
        {
            StreamSession? session = null;
            try
            {
                var first = await connection.ReceiveAsync(_options.RegistrationTimeout, stopping).ConfigureAwait(false);
                place.Leave(); // registered or refused: no longer pending either way
                session = new StreamSession(connection);
                if (first is not Protocol.Register)
                {
                    _registry.RefuseUnregistered(session);
                    return;
                }
                var serving = _registry.Handle(session, first);
                while (serving && await connection.ReceiveAsync(_options.IdleTimeout, stopping).ConfigureAwait(false) is { } message)
                {
                    serving = _registry.Handle(session, message);
                }
            }
            catch (Exception e) when (e is ProtocolViolationException or TimeoutException or OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                RendezvousServerLog.Closed(_logger, remote, e.Message);
            }
            finally
            {
                if (session is not null && _registry.Remove(session))
                {
                    RendezvousServerLog.Closed(_logger, remote, "unregistered");
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false); // cancels every session's token
        }
        if (_datagram is not null)
        {
            await _datagram.DisposeAsync().ConfigureAwait(false);
        }
        _registry.AbortAll();
        await Task.WhenAll(_sessions.Keys).ConfigureAwait(false);
        DisposeCredentials();
        _metrics.Dispose();
    }

    private void DisposeCredentials()
    {
        _credentials.Dispose();
        if (_ownsIdentity)
        {
            _identity.Dispose();
        }
    }

    /// <summary>A node on a TLS connection: what the registry keeps of it.</summary>
    private sealed class StreamSession(RendezvousConnection connection) : INodeLink
    {
        public RendezvousConnection Connection { get; } = connection;

        public NodeId NodeId => Connection.RemoteId;

        public IPEndPoint RemoteEndPoint => Connection.RemoteEndPoint;

        public DateTimeOffset ExpiresAt { get; set; } = DateTimeOffset.MinValue;

        public bool TrySend(RendezvousMessage message) => Connection.TrySend(message);

        public void Abort() => Connection.Abort();
    }
}
