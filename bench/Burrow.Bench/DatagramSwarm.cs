using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.Channels;
using Burrow.Addressing;
using Burrow.Identity;
using Burrow.Rendezvous;
using Burrow.Rendezvous.Datagram;
using Burrow.Rendezvous.Protocol;

namespace Burrow.Bench;

/// <summary>
/// Many nodes joined to a rendezvous by datagram from one process, sharing a few UDP sockets (a process here
/// may open 20,000 descriptors, a socket per node would not reach 100,000). Each node speaks the real protocol —
/// hello, challenge, signed join, sealed and acknowledged messages — with the library's codec and channel; a
/// message unacknowledged for a second is sent again, and every node sends a time request every 25 s.
/// </summary>
internal sealed class DatagramSwarm : IAsyncDisposable
{
    private static readonly TimeSpan Resend = TimeSpan.FromSeconds(1);
    private readonly IPEndPoint _server;
    private readonly Socket[] _sockets;
    private readonly ConcurrentDictionary<ulong, SwarmNode> _nodes = new();
    private readonly ConcurrentDictionary<UInt128, TaskCompletionSource<byte[]>> _challenges = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;
    private readonly DelayedAcks _acks = new(TimeProvider.System);
    private readonly List<SwarmNode> _registered = [];
    private readonly Task _keepAlive;

    public DatagramSwarm(IPEndPoint server, int sockets)
    {
        _server = server;
        _sockets = [.. Enumerable.Range(0, sockets).Select(_ => NewSocket())];
        _loops = [.. _sockets.Select((socket, i) => DatagramReader.Start(socket, $"swarm socket {i}", DatagramPacket.MaxSize + 1, (packet, _) => Dispatch(packet), _stop.Token))]; // as the server reads
        _keepAlive = KeepAliveLoopAsync();
    }

    private Socket NewSocket()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 << 20 };
        socket.Connect(_server);
        return socket;
    }

    /// <summary>Registrations begun again because the server had dropped the session (overloaded, a join took too long).</summary>
    public int Retries => Volatile.Read(ref _retries);

    private int _retries;

    /// <summary>Joins and registers one new node (a fresh key), again if the server resets the session.</summary>
    public async Task<SwarmNode> RegisterAsync(int index)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryRegisterAsync(index);
            }
            catch (ResetException) when (attempt < 5)
            {
                Interlocked.Increment(ref _retries);
            }
        }
    }

    private async Task<SwarmNode> TryRegisterAsync(int index)
    {
        using var key = NodeIdentity.Create();
        var socket = _sockets[index % _sockets.Length];
        var nonce = RandomNumberGenerator.GetBytes(DatagramPacket.NonceSize);
        var waiting = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        _challenges[new UInt128(BitConverter.ToUInt64(nonce, 0), BitConverter.ToUInt64(nonce, 8))] = waiting;
        var challenge = await RepeatAsync(socket, DatagramPacket.Hello(nonce), waiting.Task);
        DatagramPacket.ReadChallenge(challenge, out _, out var issued, out var cookieSpan, out var serverKeySpan);
        var (cookie, serverKey) = (cookieSpan.ToArray(), serverKeySpan.ToArray());
        using var ephemeral = DatagramKeys.NewEphemeral();
        var clientKey = DatagramKeys.PublicKey(ephemeral);
        DatagramKeys.TryAgree(ephemeral, serverKey, out var secret);
        var keys = DatagramKeys.Derive(secret, cookie, key.NodeId);
        var node = new SwarmNode(this, socket, new DatagramChannel(keys, isServer: false), key.NodeId);
        _nodes[keys.Session] = node;
        var signature = key.Sign(DatagramKeys.Transcript(nonce, issued, cookie, serverKey, clientKey));
        await RepeatAsync(socket, DatagramPacket.Join(nonce, issued, cookie, clientKey, key.PublicKey.Compressed.Span, signature), node.Welcomed);
        var address = NodeAddress.Issue(key, new NodeAddressContent
        {
            Endpoints = [new AddressEndpoint { LanAddress = IPAddress.Loopback, ListenPort = 9 }],
            IssuedAt = DateTimeOffset.UtcNow,
        });
        try
        {
            await node.SendAsync(new Register(address.Record));
            if (await node.ReceiveAsync(TimeSpan.FromSeconds(30), default) is not Registered)
            {
                throw new InvalidOperationException("not registered");
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no registration in 30 s; the node saw {node.Describe()}");
        }
        catch (Exception e) when (node.WasReset && e is not ResetException)
        {
            throw new ResetException();
        }
        finally
        {
            if (node.WasReset)
            {
                _nodes.TryRemove(keys.Session, out _);
            }
        }
        lock (_registered)
        {
            _registered.Add(node);
        }
        return node;
    }

    /// <summary>
    /// What each node sends to stay registered, as a real node does: a time request every 25 s. One paced loop
    /// sends them all (every 10 ms, the share of the nodes due), so the benchmark's own timers stay few.
    /// </summary>
    private async Task KeepAliveLoopAsync()
    {
        var interval = TimeSpan.FromSeconds(25);
        var tick = TimeSpan.FromMilliseconds(10);
        var next = 0;
        var due = 0.0;
        try
        {
            using var timer = new PeriodicTimer(tick);
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                SwarmNode[] batch;
                lock (_registered)
                {
                    due += _registered.Count * (tick / interval);
                    var count = (int)due;
                    due -= count;
                    batch = new SwarmNode[Math.Min(count, _registered.Count)];
                    for (var i = 0; i < batch.Length; i++)
                    {
                        batch[i] = _registered[next++ % _registered.Count];
                    }
                }
                foreach (var node in batch)
                {
                    node.Request(new TimeRequest(DateTimeOffset.UtcNow));
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    private async Task RepeatAsync(Socket socket, byte[] packet, Task answered)
    {
        for (var attempt = 0; attempt < 30; attempt++)
        {
            Send(socket, packet);
            try
            {
                await answered.WaitAsync(Resend);
                return;
            }
            catch (TimeoutException)
            {
                // not answered yet: send again
            }
        }
        throw new TimeoutException("the rendezvous did not answer");
    }

    private async Task<T> RepeatAsync<T>(Socket socket, byte[] packet, Task<T> answered)
    {
        for (var attempt = 0; attempt < 30; attempt++)
        {
            Send(socket, packet);
            try
            {
                return await answered.WaitAsync(Resend);
            }
            catch (TimeoutException)
            {
                // not answered yet: send again
            }
        }
        throw new TimeoutException("the rendezvous did not answer");
    }

    internal void Send(Socket socket, byte[] packet)
    {
        try
        {
            socket.Send(packet);
        }
        catch (ObjectDisposedException)
        {
            // stopping
        }
        catch (SocketException)
        {
            // lost like any datagram: resent
        }
    }

    private void Dispatch(ReadOnlySpan<byte> packet)
    {
        if (!DatagramPacket.TryReadKind(packet, out var kind))
        {
            return;
        }
        if (kind == DatagramKind.Challenge)
        {
            var nonce = packet.Slice(DatagramPacket.HeaderSize, DatagramPacket.NonceSize);
            if (_challenges.TryRemove(new UInt128(BitConverter.ToUInt64(nonce[..8]), BitConverter.ToUInt64(nonce[8..])), out var waiting))
            {
                waiting.TrySetResult(packet.ToArray());
            }
        }
        else if (kind == DatagramKind.Data && _nodes.TryGetValue(DatagramPacket.ReadSession(packet), out var node))
        {
            node.OnPacket(packet);
        }
        else if (kind == DatagramKind.Reset && _nodes.TryGetValue(DatagramPacket.ReadSession(packet), out var reset))
        {
            reset.OnReset();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var socket in _sockets)
        {
            DatagramReader.Wake(socket);
            socket.Dispose();
        }
        await Task.WhenAll(_loops);
        await _keepAlive;
        _acks.Dispose();
        _stop.Dispose();
    }

    /// <summary>One simulated node: its session and the messages the server sent it.</summary>
    internal sealed class SwarmNode(DatagramSwarm swarm, Socket socket, DatagramChannel channel, NodeId id) : IAckOwner
    {
        private int _ackQueued;
        private readonly TaskCompletionSource<bool> _welcomed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        // Whoever awaits a message or an acknowledgement goes on on the socket's reader thread, not through the
        // thread pool: the harness shares the cores with the server, so its thread switches cost the server.
        private readonly Channel<RendezvousMessage> _inbound = Channel.CreateUnbounded<RendezvousMessage>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
        private readonly Queue<(ulong Sequence, TaskCompletionSource Done)> _unacknowledged = new(); // in the order sealed

        public NodeId Id { get; } = id;

        public Task<bool> Welcomed => _welcomed.Task;


        /// <summary>The server said it has no such session.</summary>
        public bool WasReset { get; private set; }

        public void OnReset()
        {
            WasReset = true;
            _inbound.Writer.TryComplete(new ResetException());
            lock (_unacknowledged)
            {
                while (_unacknowledged.TryDequeue(out var waiting))
                {
                    waiting.Done.TrySetException(new ResetException());
                }
            }
        }

        /// <summary>Sends a request once (a keep-alive: its answer is not awaited).</summary>
        public void Request(RendezvousMessage message) => swarm.Send(socket, channel.SealControl(DatagramContent.Request, RendezvousCodec.Encode(message), out _));

        bool IAckOwner.TryMarkQueued() => Interlocked.CompareExchange(ref _ackQueued, 1, 0) == 0;

        void IAckOwner.FlushAck()
        {
            Volatile.Write(ref _ackQueued, 0);
            if (channel.AckOwed)
            {
                swarm.Send(socket, channel.Ack());
            }
        }

        /// <summary>Sends a message and waits for the server's acknowledgement, resending each second.</summary>
        public async Task SendAsync(RendezvousMessage message)
        {
            var frame = RendezvousCodec.Encode(message);
            var acknowledged = new TaskCompletionSource();
            byte[] packet;
            lock (_unacknowledged) // numbered and queued together, so the queue is in sequence order
            {
                packet = channel.SealMessage(frame, out var sequence);
                _unacknowledged.Enqueue((sequence, acknowledged));
            }
            await swarm.RepeatAsync(socket, packet, acknowledged.Task);
        }

        public async Task<RendezvousMessage?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            return await _inbound.Reader.ReadAsync(deadline.Token);
        }

        private readonly int[] _seen = new int[8 * 8]; // packets by result and content

        public string Describe() => string.Join(", ", _seen.Select((count, i) => (count, i)).Where(s => s.count > 0).Select(s => $"{(OpenResult)(s.i / 8)}/{(DatagramContent)(s.i % 8)} {s.count}"));

        private TaskCompletionSource? TakeAcknowledged(ulong upTo)
        {
            lock (_unacknowledged)
            {
                return _unacknowledged.TryPeek(out var head) && head.Sequence <= upTo ? _unacknowledged.Dequeue().Done : null;
            }
        }

        public void OnPacket(ReadOnlySpan<byte> packet)
        {
            var delivered = new List<byte[]>(1);
            var result = channel.Open(packet, delivered, out var opened);
            Interlocked.Increment(ref _seen[((int)result * 8) + ((int)opened.Content & 7)]);
            if (result is OpenResult.Invalid or OpenResult.TooEarly)
            {
                return;
            }
            while (TakeAcknowledged(opened.Acknowledged) is { } waiting)
            {
                waiting.TrySetResult();
            }
            if (result != OpenResult.Control)
            {
                swarm._acks.Owe(this);
            }
            else if (opened.Content == DatagramContent.Welcome)
            {
                _welcomed.TrySetResult(true);
            }
            foreach (var frame in delivered)
            {
                if (RendezvousCodec.TryDecode(frame, out var message, out _))
                {
                    _inbound.Writer.TryWrite(message);
                }
            }
        }
    }

    private sealed class ResetException() : Exception("the rendezvous reset the session");
}
