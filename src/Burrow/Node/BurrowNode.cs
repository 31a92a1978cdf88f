using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Burrow.Addressing;
using Burrow.Connect;
using Burrow.Connect.Punch;
using Burrow.Connect.Reverse;
using Burrow.Connect.Upgrade;
using Burrow.Identity;
using Burrow.Relay;
using Burrow.Rendezvous.Client;
using Burrow.Transport;
using Microsoft.Extensions.Logging;

namespace Burrow.Node;

/// <summary>
/// A Burrow node: an identity, listeners, a signed address describing how to reach it, and a connect path
/// made of strategies. Start it, publish <see cref="Address"/>, then <see cref="ConnectAsync"/> and
/// <see cref="AcceptAsync"/>. Dispose it to stop listening.
/// </summary>
public sealed class BurrowNode : IAsyncDisposable
{
    private readonly BurrowNodeOptions _options;
    private readonly bool _ownsIdentity;
    private readonly TlsCredentials _credentials;
    private readonly List<NodeListener> _listeners = [];
    private readonly Channel<PeerConnection> _incoming;
    private readonly PendingAdmission _handshakes;
    private readonly ConnectOrchestrator _orchestrator;
    private readonly NodeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lock _addressLock = new();
    private readonly TrackedWork _work = new();
    private readonly List<RendezvousClient> _rendezvous;
    private readonly IReadOnlyList<IReachabilitySource> _sources;

    /// <summary>The reachability source that can look at the NAT's current mapping (a STUN prober), if any.</summary>
    private IMappingObserver? MappingObserver => _options.Reachability.OfType<IMappingObserver>().FirstOrDefault();
    private readonly ReverseWaiters _reverseWaiters = new();
    private readonly PunchAnswers _punchAnswers = new();
    private readonly RelayUpgrades _upgrades;
    private readonly PunchScheduler? _punchScheduler; // a dedicated thread, only for a node that can punch
    private readonly CancellationTokenSource _stopping = new();
    private Task _warmedUp = Task.CompletedTask;
    private NodeAddress? _address;
    private int _disposed;

    private BurrowNode(BurrowNodeOptions options, NodeIdentity identity, bool ownsIdentity)
    {
        _options = options;
        _ownsIdentity = ownsIdentity;
        _logger = options.LoggerFactory.CreateLogger<BurrowNode>();
        _credentials = new TlsCredentials(identity, options.TimeProvider);
        _incoming = Channel.CreateBounded<PeerConnection>(new BoundedChannelOptions(options.AcceptQueueLength) { SingleWriter = false });
        _handshakes = new PendingAdmission(options.MaxPendingHandshakes, options.MaxPendingHandshakesPerAddress);
        _rendezvous = [.. options.Rendezvous.Take(NodeAddressContent.MaxSignalEndpoints).Select(server =>
            new RendezvousClient(server, _credentials, () => Address, options.RendezvousClient, options.TimeProvider, options.LoggerFactory))];
        _sources = [.. options.Reachability, .. _rendezvous];
        _punchScheduler = _rendezvous.Count > 0 ? new PunchScheduler() : null;
        IConnectStrategy[] signaled = _punchScheduler is not null
            ? [new ReverseStrategy(_rendezvous, _reverseWaiters), new PunchStrategy(_rendezvous, _punchAnswers, _punchScheduler, MappingObserver), new RelayStrategy(_rendezvous)]
            : [];
        _orchestrator = new ConnectOrchestrator([new DirectStrategy(), .. signaled, .. options.ExtraStrategies]);
        _upgrades = new RelayUpgrades(_orchestrator, _credentials, () => Address, options.Connect, options.TimeProvider, _logger);
        _metrics = new NodeMetrics(options.MeterFactory);
    }

    public NodeId NodeId => _credentials.Identity.NodeId;

    /// <summary>The endpoints the node listens on, as bound (ports resolved).</summary>
    public IReadOnlyList<IPEndPoint> ListenEndPoints => [.. _listeners.Select(l => l.LocalEndPoint)];

    /// <summary>The node's rendezvous connections, one per server in <see cref="BurrowNodeOptions.Rendezvous"/>.</summary>
    public IReadOnlyList<RendezvousClient> Rendezvous => _rendezvous;

    /// <summary>The node's current signed address; re-issued once half its lifetime has passed.</summary>
    public NodeAddress Address
    {
        get
        {
            lock (_addressLock)
            {
                var now = _options.TimeProvider.GetUtcNow();
                if (_address is null || now - _address.IssuedAt > _options.AddressLifetime / 2)
                {
                    _address = IssueAddress(now);
                }
                return _address;
            }
        }
    }

    public static async Task<BurrowNode> StartAsync(BurrowNodeOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (identity, owns) = options.Identity is { } given
            ? (given, false)
            : ((await IdentityStore.LoadOrCreateAsync(options.IdentityPath ?? IdentityStore.DefaultPath, cancellationToken).ConfigureAwait(false)).Identity, true);
        var node = new BurrowNode(options, identity, owns);
        try
        {
            foreach (var bind in options.ListenEndpoints)
            {
                node._listeners.Add(NodeListener.Start(bind, 512, node.TrackHandshake, node._logger));
            }
            var context = new ReachabilityContext(node.ListenEndPoints, options.LoggerFactory, options.TimeProvider, node.OnReachabilityChanged);
            foreach (var source in node._sources)
            {
                await source.StartAsync(context, cancellationToken).ConfigureAwait(false);
            }
            node._address = node.IssueAddress(options.TimeProvider.GetUtcNow());
            node.AnswerSignals();
            NodeLog.Started(node._logger, node.NodeId.ToString(), string.Join(", ", node.ListenEndPoints));
            return node;
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Raised (on the thread that learned it) after the address was re-issued because reachability changed.</summary>
    public event Action<NodeAddress>? AddressChanged;

    private void OnReachabilityChanged()
    {
        NodeAddress changed;
        lock (_addressLock)
        {
            if (_address is null)
            {
                return; // still starting: the first address will include it
            }
            _address = changed = IssueAddress(_options.TimeProvider.GetUtcNow());
        }
        AddressChanged?.Invoke(changed);
        foreach (var client in _rendezvous)
        {
            client.AddressChanged();
        }
    }

    /// <summary>Connects to the node <paramref name="remote"/> describes, by the first strategy that gets an authenticated stream.</summary>
    /// <exception cref="AddressFormatException">The address has expired or is not valid yet.</exception>
    /// <exception cref="ConnectFailedException">No strategy connected; it lists what each one did.</exception>
    public Task<PeerConnection> ConnectAsync(NodeAddress remote, CancellationToken cancellationToken) =>
        ConnectWithAsync(remote, strategy: null, cancellationToken);

    /// <summary>
    /// Connects by the one strategy named <paramref name="strategy"/> (for diagnosis and tests), or by the plan
    /// when it is null. A strategy this node does not have fails the connect. A relayed connection, forced or
    /// not, is then upgraded in the background (<see cref="PeerConnection.UpgradeAsync"/>) unless
    /// <see cref="ConnectOptions.UpgradeAfter"/> is empty.
    /// </summary>
    public async Task<PeerConnection> ConnectWithAsync(NodeAddress remote, string? strategy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var stopping = _stopping.Token; // taken now: still safe to use if the node is disposed while this connects
        var validity = remote.CheckValidity(_options.TimeProvider.GetUtcNow());
        if (validity != AddressError.None)
        {
            throw new AddressFormatException(validity, NodeAddress.Describe(validity));
        }
        if (remote.NodeId == NodeId)
        {
            throw new ConnectFailedException("That is this node's own address.", []);
        }
        var context = new ConnectContext(_credentials, Address, remote, _options.Connect, _options.TimeProvider, _logger);
        var plan = strategy is null ? ConnectPlanner.Plan(context.LocalAddress, remote, _orchestrator.Available)
            : _orchestrator.Available.Contains(strategy) ? [new PlanStep(strategy, TimeSpan.Zero)]
            : throw new ConnectFailedException($"This node has no strategy '{strategy}' (it has: {string.Join(", ", _orchestrator.Available)}).", []);
        try
        {
            var connection = await _orchestrator.ConnectAsync(context, plan, cancellationToken).ConfigureAwait(false);
            _metrics.Connected("outbound", connection.Strategy, connection.Elapsed);
            NodeLog.Connected(_logger, connection.RemoteId.ToShortString(), connection.RemoteEndPoint.ToString(), connection.Strategy, connection.Elapsed.TotalMilliseconds);
            if (connection.IsRelayed
                && _upgrades.Start(connection, remote, direct => _metrics.Connected("upgrade", direct.Strategy, direct.Elapsed), stopping) is { } upgrading)
            {
                _ = Track(upgrading);
            }
            return connection;
        }
        catch (ConnectFailedException e)
        {
            _metrics.ConnectFailed();
            NodeLog.ConnectFailed(_logger, remote.NodeId.ToShortString(), e.Message);
            throw;
        }
    }

    /// <summary>
    /// Completes when the node connects at full speed: every rendezvous has registered it and measured the clock
    /// offset a punch is timed with, and the connect path has run once (its warm-up, see <c>ConnectWarmUp</c>).
    /// Connecting before that works, but the first connect then shares the processor with the node's start-up
    /// (in a fresh process, tens of ms). A rendezvous that cannot be reached keeps this waiting: bound it.
    /// </summary>
    public async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        foreach (ISignalingChannel client in _rendezvous)
        {
            await client.WaitReadyAsync(cancellationToken).ConfigureAwait(false);
        }
        await _warmedUp.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The next authenticated inbound connection.</summary>
    public async ValueTask<PeerConnection> AcceptAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _incoming.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(BurrowNode));
        }
    }

    /// <summary>Authenticated inbound connections, as they come, until the node is disposed.</summary>
    public IAsyncEnumerable<PeerConnection> AcceptAllAsync(CancellationToken cancellationToken) => _incoming.Reader.ReadAllAsync(cancellationToken);

    private NodeAddress IssueAddress(DateTimeOffset now)
    {
        var local = LocalEndpoints.Describe(
            [.. _listeners.Select(l => (l.LocalEndPoint, l.DualMode))],
            _listeners.Any(l => l.LocalEndPoint.Address.Equals(IPAddress.Any) || l.LocalEndPoint.Address.Equals(IPAddress.IPv6Any)) ? LocalEndpoints.InterfaceAddresses() : [],
            _options.ManualPublicEndpoints);
        var endpoints = _sources.Aggregate(local, (current, source) => source.Apply(current));
        return NodeAddress.Issue(_credentials.Identity, new NodeAddressContent
        {
            Endpoints = [.. endpoints.Take(NodeAddressContent.MaxEndpoints)],
            Rendezvous = [.. _rendezvous.Select(c => c.Server)],
            Relays = [.. _options.Relays.Take(NodeAddressContent.MaxSignalEndpoints)],
            IssuedAt = now,
            Lifetime = _options.AddressLifetime,
        });
    }

    private Task TrackHandshake(Socket socket, CancellationToken stopping)
    {
        var remote = socket.RemoteEndPoint?.ToString() ?? "?";
        var from = (socket.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
        switch (_handshakes.TryAdmit(from))
        {
            case Admission.Busy:
                Refuse(socket, remote, "busy", "too many pending handshakes");
                return Task.CompletedTask;
            case Admission.BusyAddress:
                Refuse(socket, remote, "busy_address", "too many pending handshakes from this address");
                return Task.CompletedTask;
        }
        return Track(OnAcceptedAsync(socket, remote, from, stopping));
    }

    /// <summary>Keeps <paramref name="work"/> until it ends, so that disposing the node waits for it.</summary>
    private Task Track(Task work) => _work.Track(work);

    private async Task OnAcceptedAsync(Socket socket, string remote, IPAddress from, CancellationToken stopping)
    {
        await Task.Yield(); // off the accept loop

        try
        {
            var started = _options.TimeProvider.GetTimestamp();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(_options.Connect.HandshakeTimeout);
            var (ssl, remoteId) = await PeerHandshake.AuthenticateAsync(new NetworkStream(socket, ownsSocket: false), _credentials, TlsRole.Server, null, timeout.Token).ConfigureAwait(false);
            if (!UpgradeTag.TryParse(ssl.TargetHostName, out _) && _reverseWaiters.TryClaim(remoteId, _options.TimeProvider.GetUtcNow()) is { } waiter)
            {
                // The peer answers our reverse-connect request: the connection is that attempt's, not AcceptAsync's.
                var answered = new PeerConnection(socket, ssl, remoteId, ReverseStrategy.StrategyName, _options.TimeProvider.GetElapsedTime(waiter.StartedAt), initiated: true);
                if (!waiter.TryComplete(answered))
                {
                    await answered.DisposeAsync().ConfigureAwait(false); // a given-up attempt's late answer
                    _metrics.InboundRefused("late_reverse");
                }
                return;
            }
            await DeliverAsync(new PeerConnection(socket, ssl, remoteId, "accepted", _options.TimeProvider.GetElapsedTime(started), initiated: false), stopping).ConfigureAwait(false);
        }
        catch (PeerAuthenticationException e)
        {
            Refuse(socket, remote, "handshake", e.Message);
        }
        catch (OperationCanceledException)
        {
            Refuse(socket, remote, stopping.IsCancellationRequested ? "stopping" : "timeout", "no completed handshake in time");
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Refuse(socket, remote, "io", e.Message);
        }
        finally
        {
            _handshakes.Release(from);
        }
    }

    /// <summary>
    /// Queues an authenticated inbound connection for <see cref="AcceptAsync"/> (or closes it when the node stops);
    /// one that replaces a relayed connection goes to that connection instead (<see cref="PeerConnection.UpgradeAsync"/>).
    /// </summary>
    private async Task DeliverAsync(PeerConnection connection, CancellationToken stopping)
    {
        if (connection.UpgradeOf is not null)
        {
            if (await _upgrades.TakeAsync(connection, stopping).ConfigureAwait(false))
            {
                _metrics.Connected("upgrade", connection.Strategy, connection.Elapsed);
            }
            else
            {
                _metrics.InboundRefused("unknown_upgrade");
            }
            return;
        }
        _upgrades.Received(connection);
        if (!_incoming.Writer.TryWrite(connection) && !await TryQueueAsync(connection, stopping).ConfigureAwait(false))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return;
        }
        _metrics.Connected("inbound", connection.Strategy, connection.Elapsed);
        NodeLog.Accepted(_logger, connection.RemoteId.ToShortString(), connection.RemoteEndPoint.ToString());
    }

    /// <summary>Answers what peers ask through the rendezvous: reverse connects, punches, relayed connections.</summary>
    private void AnswerSignals()
    {
        if (_punchScheduler is null)
        {
            return; // no rendezvous: nobody can signal this node
        }
        _warmedUp = Track(ConnectWarmUp.RunInBackground(_punchScheduler, _options.TimeProvider, _orchestrator.Available, _logger, _stopping.Token));
        Task Deliver(PeerConnection connection) => DeliverAsync(connection, _stopping.Token);
        new SignalDispatcher(
            new ReverseResponder(_credentials, () => Address, _options.Connect, _options.TimeProvider, _logger, Deliver),
            _reverseWaiters,
            new PunchResponder(_credentials, () => Address, _options.Connect, _punchScheduler, MappingObserver, _logger, Deliver),
            _punchAnswers,
            new RelayResponder(_credentials, () => Address, _options.Connect, _options.TimeProvider, _logger, Deliver),
            Track).Start(_rendezvous, _stopping.Token);
    }

    private async Task<bool> TryQueueAsync(PeerConnection connection, CancellationToken stopping)
    {
        try
        {
            await _incoming.Writer.WriteAsync(connection, stopping).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            return false;
        }
    }

    /// <param name="code">A metric tag from a small fixed set: busy, handshake, timeout, stopping, io (and late_reverse, unknown_upgrade).</param>
    private void Refuse(Socket socket, string remote, string code, string reason)
    {
        socket.Dispose();
        _metrics.InboundRefused(code);
        NodeLog.InboundRefused(_logger, remote, reason);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }
        foreach (var source in _sources)
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }
        await _work.WhenAllAsync().ConfigureAwait(false); // cancelled with the listeners: they end promptly
        _incoming.Writer.TryComplete();
        while (_incoming.Reader.TryRead(out var unaccepted))
        {
            await unaccepted.DisposeAsync().ConfigureAwait(false);
        }
        _punchScheduler?.Dispose();
        _credentials.Dispose();
        if (_ownsIdentity)
        {
            _credentials.Identity.Dispose();
        }
        _metrics.Dispose();
        _stopping.Dispose();
    }
}
