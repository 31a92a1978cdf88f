using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Burrow.Addressing;
using Burrow.Connect;
using Burrow.Connect.Punch;
using Burrow.Identity;
using Burrow.Node;
using Burrow.Rendezvous.Protocol;
using Burrow.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Burrow.Rendezvous.Client;

/// <summary>
/// A node's connection to one rendezvous server: it connects, registers the node's signed address, keeps the
/// connection alive, learns the node's observed public endpoint and its clock offset to the server, receives
/// signals, and — when the server goes away — reconnects with backoff and registers again. As a reachability
/// source it folds the observed public address into the node's address (the node adds the server itself to
/// the address's rendezvous list).
/// </summary>
public sealed class RendezvousClient : IReachabilitySource, ISignalingChannel
{
    private readonly TlsCredentials _credentials;
    private readonly Func<NodeAddress> _address;
    private readonly RendezvousClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<IncomingSignal> _signals;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private TaskCompletionSource _registered = NewRegistration();
    private TaskCompletionSource _clocked = NewRegistration(); // the current connection's first clock exchange
    private IRendezvousLink? _connection;
    private Action? _changed;
    private Task? _loop;
    private NodeAddress? _lastSent;
    private int _registrations;
    private int _clockSamples; // on the current connection; only the receive loop touches it

    public RendezvousClient(SignalEndpoint server, TlsCredentials credentials, Func<NodeAddress> address,
        RendezvousClientOptions? options = null, TimeProvider? time = null, ILoggerFactory? loggerFactory = null)
    {
        Server = server ?? throw new ArgumentNullException(nameof(server));
        _credentials = credentials ?? throw new ArgumentNullException(nameof(credentials));
        _address = address ?? throw new ArgumentNullException(nameof(address));
        _options = options ?? new RendezvousClientOptions();
        _time = time ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<RendezvousClient>();
        _signals = Channel.CreateBounded<IncomingSignal>(new BoundedChannelOptions(_options.SignalQueueLength) { FullMode = BoundedChannelFullMode.Wait });
    }

    public SignalEndpoint Server { get; }

    /// <summary>How this client reaches the server (<see cref="RendezvousClientOptions.Transport"/>).</summary>
    public RendezvousTransport Transport => _options.Transport;

    /// <summary>True while the node is registered (connected, and the server accepted its address).</summary>
    public bool IsRegistered
    {
        get
        {
            lock (_lock)
            {
                return _registered.Task.IsCompleted;
            }
        }
    }

    /// <summary>The public endpoint of this client's connection (TCP, or UDP for a datagram session), as the server saw it (null before the first registration).</summary>
    public IPEndPoint? ObservedEndPoint { get; private set; }

    /// <summary>The clock offset to the server (add it to the local clock) from the exchange with the shortest round trip, and that round trip.</summary>
    public ClockSample? Clock { get; private set; }

    /// <summary>
    /// How many clock exchanges a fresh connection makes, one after the other, before settling to one per ping:
    /// <see cref="Clock"/> keeps the one with the shortest round trip, which punch instants are computed from.
    /// </summary>
    public const int InitialClockSamples = 4;

    /// <summary>Clock exchanges answered on the current connection.</summary>
    public int ClockSamples { get; private set; }

    /// <summary>How many times the node has registered (1 after the first; more after reconnects).</summary>
    public int Registrations => Volatile.Read(ref _registrations);

    /// <summary>Raised on the receiving thread after each (re-)registration.</summary>
    public event Action<RendezvousClient>? Registered;

    /// <summary>Raised on the receiving thread when the server could not forward a signal to a node.</summary>
    public event Action<NodeId, SignalFailure>? SignalFailed;

    /// <summary>Signals other nodes sent to this one, in arrival order (one reader).</summary>
    public ChannelReader<IncomingSignal> Signals => _signals.Reader;

    /// <summary>Starts connecting (in the background); idempotent.</summary>
    public void Start()
    {
        lock (_lock)
        {
            _loop ??= RunAsync(_stop.Token);
        }
    }

    Task IReachabilitySource.StartAsync(ReachabilityContext context, CancellationToken cancellationToken)
    {
        _changed = context.Changed;
        Start();
        return Task.CompletedTask;
    }

    /// <summary>Adds the observed public address to endpoints of its family that have none, if it is a global address.</summary>
    public IReadOnlyList<AddressEndpoint> Apply(IReadOnlyList<AddressEndpoint> endpoints)
    {
        var observed = ObservedEndPoint?.Address;
        if (observed is null || IpScope.Of(observed) != IpScopeKind.Global)
        {
            return endpoints;
        }
        return [.. endpoints.Select(e => e.PublicAddress is null && e.Family == observed.AddressFamily ? e with { PublicAddress = observed } : e)];
    }

    /// <summary>Completes when the node is registered (at once if it is now).</summary>
    public Task WaitRegisteredAsync(CancellationToken cancellationToken)
    {
        Task registered;
        lock (_lock)
        {
            registered = _registered.Task;
        }
        return registered.WaitAsync(cancellationToken);
    }

    /// <summary>Sends a signal through the server; false when not registered or the send queue is full. A failure to deliver is reported by <see cref="SignalFailed"/>.</summary>
    public bool TrySendSignal(NodeId target, ReadOnlyMemory<byte> payload)
    {
        IRendezvousLink? connection;
        lock (_lock)
        {
            connection = _registered.Task.IsCompleted ? _connection : null;
        }
        return connection is not null && connection.TrySend(new SignalTo(target, payload));
    }

    /// <summary>Registered, and the clock measured once: a punch instant needs both ends' round trips and offsets.</summary>
    async Task ISignalingChannel.WaitReadyAsync(CancellationToken cancellationToken)
    {
        Task registered, clocked;
        lock (_lock)
        {
            (registered, clocked) = (_registered.Task, _clocked.Task);
        }
        await registered.WaitAsync(cancellationToken).ConfigureAwait(false);
        await clocked.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    bool ISignalingChannel.TrySend(NodeId target, ReadOnlyMemory<byte> payload) => TrySendSignal(target, payload);

    (TimeSpan Offset, TimeSpan RoundTrip)? ISignalingChannel.Clock => Clock is { } clock ? (clock.Offset, clock.RoundTrip) : null;

    /// <summary>Registers the node's current address again (call after it was re-issued).</summary>
    public void AddressChanged()
    {
        IRendezvousLink? connection;
        lock (_lock)
        {
            connection = _connection;
        }
        if (connection is not null)
        {
            SendRegistration(connection);
        }
    }

    /// <summary>Registers the node's current address on <paramref name="connection"/> and remembers which one it was.</summary>
    private void SendRegistration(IRendezvousLink connection)
    {
        var address = _address();
        _lastSent = address;
        connection.TrySend(new Register(address.Record));
    }

    private async Task RunAsync(CancellationToken stop)
    {
        await Task.Yield();
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            string reason;
            try
            {
                reason = await SessionAsync(() => failures = 0, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is BurrowException or IOException or SocketException or TimeoutException or OperationCanceledException or ObjectDisposedException)
            {
                reason = e.Message;
            }
            var delay = Backoff.Delay(failures++, _options.MinReconnectDelay, _options.MaxReconnectDelay, Random.Shared.NextDouble());
            RendezvousClientLog.Disconnected(_logger, Server.ToString(), reason, delay.TotalMilliseconds);
            try
            {
                await Task.Delay(delay, _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One connection, from connect to loss; returns why it ended.</summary>
    private async Task<string> SessionAsync(Action registered, CancellationToken stop)
    {
        var connection = await EstablishAsync(stop).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            lock (_lock)
            {
                _connection = connection;
            }
            using var session = CancellationTokenSource.CreateLinkedTokenSource(stop);
            Task? keepAlive = null;
            try
            {
                Clock = null; // measured afresh on each connection
                _clockSamples = 0;
                SendRegistration(connection);
                // In the same flight as the registration (the server answers both in order): the clock is known
                // as soon as the node is registered, without another round trip.
                connection.TrySend(new TimeRequest(_time.GetUtcNow()));
                while (await connection.ReceiveAsync(_options.ReceiveTimeout, stop).ConfigureAwait(false) is { } message)
                {
                    switch (message)
                    {
                        case Protocol.Registered done:
                            OnRegistered(connection, done);
                            registered();
                            keepAlive ??= KeepAliveAsync(connection, session.Token);
                            break;
                        case RegisterRefused refused:
                            RendezvousClientLog.Refused(_logger, Server.ToString(), refused.Reason.ToString());
                            return $"registration refused ({refused.Reason})";
                        case TimeReply reply:
                            var sample = ClockSample.From(reply.ClientSent, reply.ServerReceived, reply.ServerSent, _time.GetUtcNow());
                            Clock = ClockSample.Best(Clock, sample);
                            RendezvousClientLog.ClockSampled(_logger, Server.ToString(), sample.Offset.TotalMilliseconds, sample.RoundTrip.TotalMilliseconds);
                            if (++_clockSamples < InitialClockSamples)
                            {
                                // One after the other: the first exchange of a connection is often slowed by work at either end.
                                connection.TrySend(new TimeRequest(_time.GetUtcNow()));
                            }
                            ClockSamples = _clockSamples;
                            lock (_lock)
                            {
                                _clocked.TrySetResult();
                            }
                            break;
                        case SignalFrom signal when !_signals.Writer.TryWrite(new IncomingSignal(signal.Source, signal.Payload, this)):
                            RendezvousClientLog.SignalDropped(_logger, signal.Source.ToShortString());
                            break;
                        case Protocol.SignalFailed failed:
                            SignalFailed?.Invoke(failed.Target, failed.Reason);
                            break;
                        case Ping ping:
                            connection.TrySend(new Pong(ping.Value));
                            break;
                        case SignalFrom or Pong:
                            break;
                        default:
                            throw new ProtocolViolationException("rendezvous_unexpected", $"The server sent a node's message ({message.Type}).");
                    }
                }
                return "the server closed the connection";
            }
            finally
            {
                lock (_lock)
                {
                    _connection = null;
                    if (_registered.Task.IsCompleted)
                    {
                        _registered = NewRegistration();
                    }
                    if (_clocked.Task.IsCompleted)
                    {
                        _clocked = NewRegistration();
                    }
                }
                await session.CancelAsync().ConfigureAwait(false);
                if (keepAlive is not null)
                {
                    await keepAlive.ConfigureAwait(false);
                }
            }
        }
    }

    private void OnRegistered(IRendezvousLink connection, Protocol.Registered registered)
    {
        var observedChanged = !Equals(ObservedEndPoint?.Address, registered.ObservedEndPoint.Address);
        ObservedEndPoint = registered.ObservedEndPoint;
        Interlocked.Increment(ref _registrations);
        lock (_lock)
        {
            _registered.TrySetResult();
        }
        RendezvousClientLog.Registered(_logger, Server.ToString(), registered.ObservedEndPoint.ToString());
        if (observedChanged && IpScope.Of(registered.ObservedEndPoint.Address) == IpScopeKind.Global)
        {
            _changed?.Invoke();
        }
        Registered?.Invoke(this);
    }

    private async Task KeepAliveAsync(IRendezvousLink connection, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.PingInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                // The keep-alive: its reply proves the server is there and refreshes the clock offset.
                connection.TrySend(new TimeRequest(_time.GetUtcNow()));
                if (!ReferenceEquals(_address(), _lastSent))
                {
                    SendRegistration(connection); // the node re-issued its address (it does at half its lifetime)
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The session ended.
        }
    }

    /// <summary>A new link to the server over the configured transport, within the connect timeout.</summary>
    private async Task<IRendezvousLink> EstablishAsync(CancellationToken stop)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            var addresses = IPAddress.TryParse(Server.Host, out var ip) ? [ip] : await Dns.GetHostAddressesAsync(Server.Host, timeout.Token).ConfigureAwait(false);
            if (_options.Transport == RendezvousTransport.Datagram)
            {
                var address = addresses.FirstOrDefault() ?? throw new SocketException((int)SocketError.HostNotFound);
                return await DatagramLink.EstablishAsync(new IPEndPoint(address, Server.Port), _credentials.Identity, _options.ConnectTimeout, _time, stop).ConfigureAwait(false);
            }
            SocketException? last = null;
            foreach (var address in addresses)
            {
                try
                {
                    var socket = await TcpDialer.ConnectAsync(new IPEndPoint(address, Server.Port), timeout.Token).ConfigureAwait(false);
                    return await RendezvousConnection.EstablishAsync(socket, _credentials, TlsRole.Client, _options.ConnectTimeout, 16, stop).ConfigureAwait(false);
                }
                catch (SocketException e)
                {
                    last = e;
                }
            }
            throw last ?? new SocketException((int)SocketError.HostNotFound);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            throw new TimeoutException($"No connection to {Server} within {_options.ConnectTimeout.TotalSeconds:0.#} s.");
        }
    }

    private static TaskCompletionSource NewRegistration() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        Task? loop;
        lock (_lock)
        {
            loop = _loop;
        }
        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }
        _signals.Writer.TryComplete();
        _stop.Dispose();
    }
}
