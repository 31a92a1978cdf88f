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
/// A rendezvous server, embeddable in any process: nodes keep one TLS connection to it, proving their node
/// key; it tells each node its observed public endpoint and the time, and forwards opaque signals between
/// registered nodes. State is in memory, one small entry per connected node, gone when the node disconnects,
/// its address expires, or it stops sending. Dispose it to stop.
/// </summary>
public sealed class RendezvousServer : IAsyncDisposable
{
    private readonly RendezvousServerOptions _options;
    private readonly NodeIdentity _identity;
    private readonly bool _ownsIdentity;
    private readonly TlsCredentials _credentials;
    private readonly ConcurrentDictionary<NodeId, Session> _registry = new();
    private readonly ConcurrentDictionary<Task, byte> _sessions = new();
    private readonly SemaphoreSlim _handshakeSlots;
    private readonly RendezvousMetrics _metrics;
    private readonly ILogger _logger;
    private NodeListener? _listener;
    private int _disposed;

    private RendezvousServer(RendezvousServerOptions options)
    {
        _options = options;
        _ownsIdentity = options.Identity is null;
        _identity = options.Identity ?? NodeIdentity.Create();
        _credentials = new TlsCredentials(_identity, options.TimeProvider);
        _handshakeSlots = new SemaphoreSlim(options.MaxPendingHandshakes);
        _logger = options.LoggerFactory.CreateLogger<RendezvousServer>();
        _metrics = new RendezvousMetrics(options.MeterFactory, () => _registry.Count);
    }

    /// <summary>The server's node id (its TLS key).</summary>
    public NodeId NodeId => _identity.NodeId;

    /// <summary>Where it listens, as bound.</summary>
    public IPEndPoint LocalEndPoint => _listener!.LocalEndPoint;

    /// <summary>Nodes registered now.</summary>
    public int RegisteredCount => _registry.Count;

    public static Task<RendezvousServer> StartAsync(RendezvousServerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        var server = new RendezvousServer(options);
        try
        {
            server._listener = NodeListener.Start(options.Listen, 1024, server.OnAccepted, server._logger);
        }
        catch
        {
            server.DisposeCredentials();
            throw;
        }
        RendezvousServerLog.Started(server._logger, server.NodeId.ToString(), server.LocalEndPoint.ToString());
        return Task.FromResult(server);
    }

    /// <summary>True when a node with that id is registered now.</summary>
    public bool IsRegistered(NodeId node) => _registry.ContainsKey(node);

    private Task OnAccepted(Socket socket, CancellationToken stopping)
    {
        if (!_handshakeSlots.Wait(0))
        {
            socket.Dispose();
            _metrics.Registration("busy");
            return Task.CompletedTask;
        }
        var session = RunAsync(socket, stopping);
        _sessions.TryAdd(session, 0);
        return session.ContinueWith(done => _sessions.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task RunAsync(Socket socket, CancellationToken stopping)
    {
        await Task.Yield(); // off the accept loop
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
        finally
        {
            _handshakeSlots.Release();
        }
        await using (connection.ConfigureAwait(false))
        {
            Session? session = null;
            try
            {
                var first = await connection.ReceiveAsync(_options.RegistrationTimeout, stopping).ConfigureAwait(false);
                if (first is not Protocol.Register register)
                {
                    Refuse(connection, RegisterRefusal.NotRegistered, "the first message was not a registration");
                    return;
                }
                session = new Session(connection);
                if (!Register(session, register))
                {
                    return;
                }
                await ServeAsync(session, stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ProtocolViolationException or TimeoutException or OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                RendezvousServerLog.Closed(_logger, remote, e.Message);
            }
            finally
            {
                if (session is not null && _registry.TryRemove(new KeyValuePair<NodeId, Session>(session.NodeId, session)))
                {
                    RendezvousServerLog.Closed(_logger, remote, "unregistered");
                }
            }
        }
    }

    private async Task ServeAsync(Session session, CancellationToken stopping)
    {
        var connection = session.Connection;
        while (await connection.ReceiveAsync(_options.IdleTimeout, stopping).ConfigureAwait(false) is { } message)
        {
            var now = _options.TimeProvider.GetUtcNow();
            switch (message)
            {
                case SignalTo signal:
                    Forward(session, signal, now);
                    break;
                case TimeRequest request:
                    connection.TrySend(new TimeReply(request.ClientSent, now, _options.TimeProvider.GetUtcNow()));
                    break;
                case Ping ping:
                    connection.TrySend(new Pong(ping.Value));
                    break;
                case Protocol.Register again when !Register(session, again):
                    return;
                case Protocol.Register or Pong:
                    break;
                default:
                    throw new ProtocolViolationException("rendezvous_unexpected", $"A node sent a server's message ({message.Type}).");
            }
        }
    }

    /// <summary>Checks a registration; accepted, the session becomes the node's (replacing an older one) and is told what the server sees.</summary>
    private bool Register(Session session, Protocol.Register register)
    {
        var now = _options.TimeProvider.GetUtcNow();
        var connection = session.Connection;
        if (!NodeAddress.TryFromRecord(register.AddressRecord.Span, out var address, out _))
        {
            return Refuse(connection, RegisterRefusal.BadAddress, "the address does not decode or verify");
        }
        if (address.NodeId != connection.RemoteId)
        {
            // Nobody registers another node's id: the address must be signed by the key proven over TLS.
            return Refuse(connection, RegisterRefusal.KeyMismatch, $"the address is {address.NodeId.ToShortString()}…'s, not the TLS peer's");
        }
        if (address.CheckValidity(now) != AddressError.None)
        {
            return Refuse(connection, RegisterRefusal.Expired, "the address has expired or is not valid yet");
        }
        session.ExpiresAt = address.ExpiresAt;
        var replaced = _registry.GetOrAdd(session.NodeId, session);
        if (!ReferenceEquals(replaced, session))
        {
            _registry[session.NodeId] = session; // the node came back on a new connection: the old one is stale
            replaced.Connection.Abort();
        }
        connection.TrySend(new Registered(connection.RemoteEndPoint, now));
        _metrics.Registration("accepted");
        RendezvousServerLog.Registered(_logger, session.NodeId.ToShortString(), connection.RemoteEndPoint.ToString());
        return true;
    }

    private void Forward(Session from, SignalTo signal, DateTimeOffset now)
    {
        var forwarded = new ForwardedSignal(from.NodeId, signal.Target, signal.Payload);
        forwarded = _options.SignalRewriter?.Invoke(forwarded) ?? forwarded;
        string result;
        if (!_registry.TryGetValue(forwarded.Target, out var target) || now > target.ExpiresAt)
        {
            result = "unknown_peer";
            from.Connection.TrySend(new SignalFailed(signal.Target, SignalFailure.UnknownPeer));
        }
        else if (!target.Connection.TrySend(new SignalFrom(forwarded.Source, forwarded.Payload)))
        {
            result = "peer_busy";
            from.Connection.TrySend(new SignalFailed(signal.Target, SignalFailure.PeerBusy));
        }
        else
        {
            result = "forwarded";
        }
        _metrics.Signal(result);
    }

    private bool Refuse(RendezvousConnection connection, RegisterRefusal reason, string why)
    {
        connection.TrySend(new RegisterRefused(reason));
        _metrics.Registration(reason.ToString().ToLowerInvariant());
        RendezvousServerLog.Refused(_logger, connection.RemoteId.ToShortString(), connection.RemoteEndPoint.ToString(), why);
        return false;
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
        foreach (var session in _registry.Values)
        {
            session.Connection.Abort();
        }
        await Task.WhenAll(_sessions.Keys).ConfigureAwait(false);
        DisposeCredentials();
        _metrics.Dispose();
    }

    private void DisposeCredentials()
    {
        _credentials.Dispose();
        _handshakeSlots.Dispose();
        if (_ownsIdentity)
        {
            _identity.Dispose();
        }
    }

    /// <summary>What the server keeps per registered node: its connection and when its address expires.</summary>
    private sealed class Session(RendezvousConnection connection)
    {
        public RendezvousConnection Connection { get; } = connection;

        public NodeId NodeId => Connection.RemoteId;

        public DateTimeOffset ExpiresAt { get; set; }
    }
}
