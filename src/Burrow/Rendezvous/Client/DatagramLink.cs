using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.Channels;
using Burrow.Identity;
using Burrow.Rendezvous.Datagram;
using Burrow.Rendezvous.Protocol;

namespace Burrow.Rendezvous.Client;

/// <summary>
/// A node's datagram session with its rendezvous (thin I/O driver; the node's side of
/// <see cref="Server.DatagramEndpoint"/>). It joins — hello, challenge, a join signed with the node key,
/// welcome — then seals each message in one datagram, resent until the server acknowledges it; the server's
/// messages come in the order it sent them. Pings and time requests go as requests, resent until answered. A reset from the server (it restarted, or dropped the session) ends the link.
/// </summary>
internal sealed class DatagramLink : IRendezvousLink, IAckOwner
{
    private static readonly TimeSpan FirstWait = TimeSpan.FromMilliseconds(250);
    private readonly Socket _socket;
    private readonly DatagramChannel _channel;
    private readonly Retransmitter _retransmitter;
    private readonly Retransmitter _requests;
    private readonly DelayedAcks _acks;
    private readonly Channel<RendezvousMessage> _inbound = Channel.CreateUnbounded<RendezvousMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _receiver;
    private readonly DatagramWriter _writer;
    private Exception? _failure;
    private int _disposed;
    private int _ackQueued;

    private DatagramLink(Socket socket, IPEndPoint server, DatagramChannel channel, TimeSpan roundTrip, TimeProvider time)
    {
        _socket = socket;
        _writer = new DatagramWriter(socket, 256);
        RemoteEndPoint = server;
        _channel = channel;
        _retransmitter = new Retransmitter(time, Send, () => Fail(new TimeoutException($"The rendezvous acknowledged nothing after {Retransmitter.MaxAttempts} sends.")), 64);
        _retransmitter.SetRoundTrip(roundTrip);
        _requests = new Retransmitter(time, Send, static () => { }, 16); // an unanswered ping: the receive timeout tells
        _requests.SetRoundTrip(roundTrip);
        _acks = new DelayedAcks(time);
        _receiver = ReceiveLoopAsync();
    }

    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>Joins the server at <paramref name="server"/> as <paramref name="identity"/>; a <see cref="TimeoutException"/> if it does not answer in time.</summary>
    public static async Task<DatagramLink> EstablishAsync(IPEndPoint server, NodeIdentity identity, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            await socket.ConnectAsync(server, deadline.Token).ConfigureAwait(false); // no packet: fixes the peer, filters others
            var buffer = new byte[DatagramPacket.MaxSize + 1];
            var nonce = RandomNumberGenerator.GetBytes(DatagramPacket.NonceSize);
            var (challenge, roundTrip) = await ExchangeAsync(socket, DatagramPacket.Hello(nonce), buffer, reply =>
                DatagramPacket.TryReadKind(reply, out var kind) && kind == DatagramKind.Challenge
                && reply.Slice(DatagramPacket.HeaderSize, DatagramPacket.NonceSize).SequenceEqual(nonce), time, deadline.Token).ConfigureAwait(false);
            DatagramPacket.ReadChallenge(challenge, out _, out var issued, out var cookie, out var serverKey);
            using var ephemeral = DatagramKeys.NewEphemeral();
            var clientKey = DatagramKeys.PublicKey(ephemeral);
            if (!DatagramKeys.TryAgree(ephemeral, serverKey, out var secret))
            {
                throw new ProtocolViolationException("rendezvous_malformed", "The rendezvous's key is not a P-256 point.");
            }
            var keys = DatagramKeys.Derive(secret, cookie, identity.NodeId);
            CryptographicOperations.ZeroMemory(secret);
            var signature = identity.Sign(DatagramKeys.Transcript(nonce, issued, cookie, serverKey, clientKey));
            var join = DatagramPacket.Join(nonce, issued, cookie, clientKey, identity.PublicKey.Compressed.Span, signature);
            var channel = new DatagramChannel(keys, isServer: false);
            await ExchangeAsync(socket, join, buffer, reply =>
                DatagramPacket.TryReadKind(reply, out var kind) && kind == DatagramKind.Data
                && channel.Open(reply, [], out var opened) == OpenResult.Control && opened.Content == DatagramContent.Welcome, time, deadline.Token).ConfigureAwait(false);
            return new DatagramLink(socket, server, channel, roundTrip, time);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"The rendezvous at {server} did not answer a datagram join within {timeout.TotalSeconds:0.#} s.");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="request"/> until a reply <paramref name="matches"/> (waits of 250 ms, doubling to 2 s); the reply and the round trip of the send it answered.</summary>
    private static async Task<(byte[] Reply, TimeSpan RoundTrip)> ExchangeAsync(Socket socket, byte[] request, byte[] buffer, ReplyFilter matches, TimeProvider time, CancellationToken cancellationToken)
    {
        for (var wait = FirstWait; ; wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, TimeSpan.FromSeconds(2).Ticks)))
        {
            var sent = time.GetTimestamp();
            await socket.SendAsync(request, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(wait);
            try
            {
                while (true)
                {
                    var length = await socket.ReceiveAsync(buffer, SocketFlags.None, attempt.Token).ConfigureAwait(false);
                    if (matches(buffer.AsSpan(0, length)))
                    {
                        return (buffer[..length], time.GetElapsedTime(sent));
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // No answer to this send: send again.
            }
        }
    }

    private delegate bool ReplyFilter(ReadOnlySpan<byte> reply);

    public bool TrySend(RendezvousMessage message)
    {
        if (Volatile.Read(ref _disposed) != 0 || _failure is not null)
        {
            return false;
        }
        var frame = RendezvousCodec.Encode(message);
        if (message is Ping or TimeRequest)
        {
            // Answered at once and safe to repeat: a request, resent until answered, outside the ordered stream.
            return _requests.TrySend(() =>
            {
                var request = _channel.SealControl(DatagramContent.Request, frame, out var number);
                return (number, request);
            });
        }
        return _retransmitter.TrySend(() =>
        {
            var packet = _channel.SealMessage(frame, out var sequence);
            return (sequence, packet);
        });
    }

    public async Task<RendezvousMessage?> ReceiveAsync(TimeSpan idle, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(idle);
        try
        {
            if (await _inbound.Reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false) && _inbound.Reader.TryRead(out var message))
            {
                return message;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Nothing received for {idle.TotalSeconds:0.#} s.");
        }
        return _failure is { } failure ? throw failure : null;
    }

    private async Task ReceiveLoopAsync()
    {
        await Task.Yield();
        var buffer = new byte[DatagramPacket.MaxSize + 1];
        try
        {
            while (true)
            {
                var length = await _socket.ReceiveAsync(buffer, SocketFlags.None, _closing.Token).ConfigureAwait(false);
                if (!Handle(buffer.AsSpan(0, length)))
                {
                    _inbound.Writer.TryComplete();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            _inbound.Writer.TryComplete();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or ProtocolViolationException)
        {
            // A refused send (ICMP: nothing listens there any more) or a malformed message ends the link.
            Fail(e);
        }
    }

    /// <summary>Handles one packet from the server; false when it reset the session.</summary>
    private bool Handle(ReadOnlySpan<byte> packet)
    {
        if (!DatagramPacket.TryReadKind(packet, out var kind))
        {
            return true;
        }
        if (kind == DatagramKind.Reset)
        {
            // Unauthenticated, but only ends a session the server no longer knows (or an on-path attacker, who could drop everything anyway).
            return DatagramPacket.ReadSession(packet) != _channel.Session;
        }
        if (kind != DatagramKind.Data)
        {
            return true;
        }
        var delivered = new List<byte[]>(1);
        var result = _channel.Open(packet, delivered, out var opened);
        if (result is OpenResult.Invalid or OpenResult.TooEarly)
        {
            return true;
        }
        _retransmitter.AcknowledgeUpTo(opened.Acknowledged);
        if (result != OpenResult.Control)
        {
            _acks.Owe(this); // unless a message of ours carries it first
        }
        else if (opened.Content == DatagramContent.Response && opened.Body.Length > 8
            && _requests.Acknowledge(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(opened.Body)))
        {
            delivered.Add(opened.Body[8..]); // the first answer to a request only: not a repeat, not a replay
        }
        foreach (var frame in delivered)
        {
            if (RendezvousCodec.TryDecode(frame, out var message, out var error))
            {
                _inbound.Writer.TryWrite(message);
            }
            else if (error != RendezvousCodecError.UnknownType)
            {
                throw new ProtocolViolationException("rendezvous_malformed", $"The rendezvous sent a malformed message ({error}).");
            }
        }
        return true;
    }

    private void Send(byte[] packet) => _writer.TrySend(packet);

    bool IAckOwner.TryMarkQueued() => Interlocked.CompareExchange(ref _ackQueued, 1, 0) == 0;

    void IAckOwner.FlushAck()
    {
        Volatile.Write(ref _ackQueued, 0);
        if (Volatile.Read(ref _disposed) == 0 && _channel.AckOwed)
        {
            Send(_channel.Ack());
        }
    }

    private void Fail(Exception failure)
    {
        Interlocked.CompareExchange(ref _failure, failure, null);
        _inbound.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _retransmitter.Dispose();
        _requests.Dispose();
        _acks.Dispose();
        await _closing.CancelAsync().ConfigureAwait(false);
        _writer.Dispose();
        _socket.Dispose();
        await _receiver.ConfigureAwait(false);
        _channel.ReleaseCiphers();
        _inbound.Writer.TryComplete();
        _closing.Dispose();
    }
}
