using System.Net;
using System.Net.Sockets;
using Burrow.Identity;
using Burrow.Rendezvous.Datagram;
using Burrow.Rendezvous.Protocol;
using Burrow.Transport;
using Microsoft.Extensions.Logging;

namespace Burrow.Rendezvous.Server;

/// <summary>
/// The rendezvous on UDP (thin I/O driver): one socket for every node that joins by datagram, on the same port
/// as the TLS listener, read by a thread of its own (<see cref="DatagramReader"/>). It answers hellos with
/// stateless challenges, makes a <see cref="DatagramSession"/> per accepted join, opens data packets,
/// acknowledges them, and hands their messages to the <see cref="NodeRegistry"/>; a timer drops sessions that
/// fall silent. A packet that does not parse or authenticate is dropped.
/// </summary>
internal sealed class DatagramEndpoint : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NodeRegistry _registry;
    private readonly RendezvousServerOptions _options;
    private readonly RendezvousMetrics _metrics;
    private readonly ILogger _logger;
    private readonly DatagramHandshake _handshake;
    private readonly JoinGate _joins;
    private readonly DatagramSessionTable _sessions;
    private readonly CipherKeeping _ciphers;
    private readonly ITimer _cipherSweep;
    private readonly DelayedAcks _acks;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiver;
    private readonly DatagramWriter _writer;
    private readonly ITimer _sweep;

    private DatagramEndpoint(Socket socket, NodeRegistry registry, RendezvousServerOptions options, RendezvousMetrics metrics, ILogger logger)
    {
        _socket = socket;
        _registry = registry;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _handshake = new DatagramHandshake(options.TimeProvider);
        _joins = new JoinGate(options.MaxDatagramJoinsPerSecond, options.TimeProvider);
        _sessions = new DatagramSessionTable(new PendingAdmission(options.MaxPendingHandshakes, options.MaxPendingPerAddress), options.TimeProvider);
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _writer = new DatagramWriter(socket, 65536);
        _acks = new DelayedAcks(options.TimeProvider);
        _receiver = DatagramReader.Start(socket, "Burrow rendezvous datagrams", DatagramPacket.MaxSize + 1, HandleSafely, _stop.Token); // a longer one is seen too long
        var sweep = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, options.IdleTimeout.Ticks / 6));
        _sweep = options.TimeProvider.CreateTimer(_ => Guarded(Sweep), null, sweep, sweep);
        _ciphers = new CipherKeeping(options.TimeProvider);
        _cipherSweep = options.TimeProvider.CreateTimer(_ => Guarded(_ciphers.ReleaseIdle), null, CipherKeeping.Idle, CipherKeeping.Idle);
    }

    public IPEndPoint LocalEndPoint { get; }

    internal TimeProvider Time => _options.TimeProvider;

    /// <summary>Sessions keeping their ciphers now (used in the last <see cref="CipherKeeping.Idle"/> or so).</summary>
    internal int SessionsKeepingCiphers => _ciphers.Count;

    internal int SendQueueLength => _options.SendQueueLength;

    /// <summary>Binds UDP on <paramref name="listen"/> (the TLS listener's address and port).</summary>
    public static DatagramEndpoint Start(IPEndPoint listen, NodeRegistry registry, RendezvousServerOptions options, RendezvousMetrics metrics, ILogger logger)
    {
        var socket = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (listen.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = true;
            }
            socket.ReceiveBufferSize = 4 << 20; // bursts of joins and signals; the kernel caps it at rmem_max
            socket.Bind(listen);
            return new DatagramEndpoint(socket, registry, options, metrics, logger);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void HandleSafely(ReadOnlySpan<byte> packet, SocketAddress from)
    {
        try
        {
            Handle(packet, from);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One node's bad packet never stops the endpoint.
            _metrics.Datagram("error");
            RendezvousServerLog.Closed(_logger, "datagram", $"packet dropped: {e}");
        }
    }

    /// <summary>A timer's work: a fault is counted and logged, not thrown on the timer's thread (that would end the process).</summary>
    private void Guarded(Action work)
    {
        try
        {
            work();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _metrics.Datagram("error");
            RendezvousServerLog.Closed(_logger, "datagram", $"sweep failed: {e}");
        }
    }

    private void Handle(ReadOnlySpan<byte> packet, SocketAddress from)
    {
        if (!DatagramPacket.TryReadKind(packet, out var kind))
        {
            _metrics.Datagram("malformed");
            return;
        }
        switch (kind)
        {
            case DatagramKind.Hello:
                Send(_handshake.Challenge(packet, from), Copy(from));
                break;
            case DatagramKind.Join:
                Join(packet, from);
                break;
            case DatagramKind.Data:
                Data(packet, from);
                break;
            default:
                _metrics.Datagram("unexpected");
                break;
        }
    }

    private void Join(ReadOnlySpan<byte> packet, SocketAddress from)
    {
        var check = _handshake.CheckCookie(packet, from, out _);
        if (check == JoinCheck.Accepted)
        {
            var cookie = DatagramPacket.ReadJoin(packet).Cookie;
            switch (_joins.Admit(cookie, packet, out var repeated))
            {
                case JoinAdmission.Repeated:
                    Welcome(repeated);
                    return;
                case JoinAdmission.Replayed:
                    _metrics.Datagram("join_replayed");
                    return;
                case JoinAdmission.Busy:
                    _metrics.Datagram("join_over_budget");
                    return;
            }
            check = _handshake.TryJoin(packet, from, out var node, out var keys, out var roundTrip);
            if (check == JoinCheck.Accepted)
            {
                if (Join(node!, keys!, roundTrip, from))
                {
                    _joins.Accepted(cookie, packet, keys!.Session); // the same join again is answered without the crypto
                }
                return;
            }
        }
        _metrics.Datagram($"join_{check.ToString().ToLowerInvariant()}");
    }

    /// <summary>Makes the session of a join just accepted and welcomes it; false if it ended, or too many wait to register.</summary>
    private bool Join(NodePublicKey node, SessionKeys keys, TimeSpan roundTrip, SocketAddress from)
    {
        var address = Copy(from);
        var ip = ((IPEndPoint)LocalEndPoint.Create(address)).Address;
        var joined = _sessions.Join(keys.Session, ip, () => new DatagramSession(this, node.NodeId, keys, address, roundTrip, Time.GetTimestamp()), out var session);
        if (joined is not (SessionJoin.Made or SessionJoin.Existing))
        {
            _metrics.Datagram(joined switch
            {
                SessionJoin.Ended => "join_ended",
                SessionJoin.Busy => "join_busy",
                _ => "join_busy_address",
            });
            return false;
        }
        Welcome(session!); // made now, or before (the join was sent again: its welcome was lost)
        return true;
    }

    /// <summary>Welcomes again the session of a join sent again (its welcome was lost), if it is still there.</summary>
    private void Welcome(ulong id)
    {
        if (_sessions.TryGet(id, out var session))
        {
            Welcome(session);
        }
        else
        {
            _metrics.Datagram("join_ended");
        }
    }

    private void Welcome(DatagramSession session)
    {
        Touch(session);
        Send(session.Channel.SealControl(DatagramContent.Welcome, [], out _), session.Address);
    }

    private void Data(ReadOnlySpan<byte> packet, SocketAddress from)
    {
        var id = DatagramPacket.ReadSession(packet);
        if (!_sessions.TryGet(id, out var session))
        {
            _metrics.Datagram("unknown_session");
            Send(DatagramPacket.Reset(id), Copy(from));
            return;
        }
        Touch(session);
        var delivered = new List<byte[]>(1);
        lock (session) // one packet of a session at a time: its messages are handled in the order sent
        {
            if (session.Ended)
            {
                Send(DatagramPacket.Reset(id), Copy(from));
                return;
            }
            var result = session.Channel.Open(packet, delivered, out var opened);
            if (result is OpenResult.Invalid or OpenResult.TooEarly)
            {
                _metrics.Datagram(result == OpenResult.Invalid ? "unauthentic" : "too_early");
                return;
            }
            if (opened.IsNew)
            {
                session.Heard(from, Time.GetTimestamp()); // a replay neither moves the session nor keeps it alive
            }
            session.Acknowledged(opened.Acknowledged);
            if (result == OpenResult.Control)
            {
                if (opened.Content == DatagramContent.Request && from.Equals(session.Address) && !session.Closing)
                {
                    Answer(session, opened); // only to where the session is: never reflected elsewhere
                }
                return;
            }
            _acks.Owe(session); // unless an answer carries it first
            foreach (var frame in delivered)
            {
                if (!session.Ended && !session.Closing)
                {
                    Deliver(session, frame);
                }
            }
        }
    }

    /// <summary>Answers a request (a ping, a time request) at once, whether the node registered yet or not.</summary>
    private void Answer(DatagramSession session, OpenedPacket request)
    {
        if (!RendezvousCodec.TryDecode(request.Body, out var message, out _) || !_registry.TryAnswer(message, out var answer))
        {
            _metrics.Datagram("bad_request");
            return;
        }
        var frame = RendezvousCodec.Encode(answer);
        var body = new byte[8 + frame.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(body, request.Sequence);
        frame.CopyTo(body, 8);
        Send(session.Channel.SealControl(DatagramContent.Response, body, out _), session.Address);
    }

    private void Deliver(DatagramSession session, byte[] frame)
    {
        if (!RendezvousCodec.TryDecode(frame, out var message, out var error))
        {
            if (error != RendezvousCodecError.UnknownType)
            {
                End(session, $"malformed message ({error})");
            }
            return;
        }
        try
        {
            if (!_registry.Handle(session, message))
            {
                session.CloseAfterDelivery(); // the refusal first, resent until acknowledged; then the end
            }
        }
        catch (ProtocolViolationException e)
        {
            End(session, e.Message);
        }
    }

    private void End(DatagramSession session, string why)
    {
        session.Abort();
        RendezvousServerLog.Closed(_logger, session.RemoteEndPoint.ToString(), why);
    }

    /// <summary>The node acknowledged none of the sends of a message: it is gone (or unreachable); end its session.</summary>
    internal void Unacknowledged(DatagramSession session)
    {
        _metrics.Datagram("unacknowledged");
        lock (session) // not while one of its packets is being handled
        {
            if (!session.Ended)
            {
                End(session, "acknowledged nothing");
            }
        }
    }

    /// <summary>A refused session's last message was acknowledged: end it now.</summary>
    internal void Closed(DatagramSession session) => End(session, "registration refused");

    /// <summary>A session registered: it no longer counts against the joins the server takes at once.</summary>
    internal void Registered(DatagramSession session) => _sessions.Registered(session);

    /// <summary>Forgets a session (it ended, was replaced, or fell silent).</summary>
    internal void Remove(DatagramSession session)
    {
        _sessions.Remove(session);
        _ciphers.Forget(session);
        session.Channel.ReleaseCiphers();
        _registry.Remove(session);
    }

    /// <summary>Queues a packet for the socket's one writer (a full queue drops it, like the network would).</summary>
    internal void Send(byte[] packet, SocketAddress to)
    {
        if (!_writer.TrySend(packet, to))
        {
            _metrics.Datagram("send_queue_full");
        }
    }

    /// <summary>The session is about to seal or open a packet: it keeps its ciphers until idle.</summary>
    internal void Touch(DatagramSession session) => _ciphers.Use(session);

    /// <summary>Drops sessions silent for the idle timeout, and joined ones that never registered in time.</summary>
    private void Sweep()
    {
        var now = Time.GetTimestamp();
        _sessions.ForgetEnded(now);
        foreach (var session in _sessions.Sessions)
        {
            if (Expired(session, now) is not null)
            {
                lock (session) // not while one of its packets is being handled (a registration may be under way)
                {
                    if (Expired(session, now) is { } why && !session.Ended)
                    {
                        End(session, why);
                    }
                }
            }
        }
    }

    private string? Expired(DatagramSession session, long now) =>
        Time.GetElapsedTime(session.LastHeard, now) > _options.IdleTimeout ? "silent"
        : session.ExpiresAt == DateTimeOffset.MinValue && Time.GetElapsedTime(session.Joined, now) > _options.RegistrationTimeout ? "never registered"
        : null;

    internal static SocketAddress Copy(SocketAddress address)
    {
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
        return copy;
    }

    public async ValueTask DisposeAsync()
    {
        await _sweep.DisposeAsync().ConfigureAwait(false);
        await _cipherSweep.DisposeAsync().ConfigureAwait(false);
        _acks.Dispose();
        await _stop.CancelAsync().ConfigureAwait(false);
        DatagramReader.Wake(_socket);
        _writer.Dispose();
        _socket.Dispose();
        await _receiver.ConfigureAwait(false);
        foreach (var session in _sessions.Sessions)
        {
            session.Abort();
        }
        _handshake.Dispose();
        _stop.Dispose();
    }
}
