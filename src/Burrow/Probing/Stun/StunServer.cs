using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Burrow.Probing.Stun;

/// <summary>
/// A STUN server over UDP and TCP (see <see cref="StunServerOptions"/>). It owns its sockets: one UDP socket
/// and one TCP listener per (address, port) cell. Over TCP it also serves Burrow's connect-back: asked for it,
/// it connects from its <em>other</em> address to the requesting connection's own observed address — never to
/// anything else — and reports whether that SYN got through, was refused (RST) or was dropped.
/// </summary>
public sealed class StunServer : IAsyncDisposable
{
    private readonly StunServerOptions _options;
    private readonly StunResponder _responder;
    private readonly Socket?[,] _udp;
    private readonly Socket?[,] _tcp;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _clients;
    private readonly SemaphoreSlim _connectBacks;
    private readonly List<Task> _loops = [];

    private StunServer(StunServerOptions options, IPEndPoint[,] cells, Socket?[,] udp, Socket?[,] tcp)
    {
        _options = options;
        _responder = new StunResponder(cells, options.Software);
        _udp = udp;
        _tcp = tcp;
        _logger = options.LoggerFactory.CreateLogger<StunServer>();
        _clients = new SemaphoreSlim(options.MaxTcpClients);
        _connectBacks = new SemaphoreSlim(options.MaxConcurrentConnectBacks);
    }

    /// <summary>The primary endpoint as bound (its port chosen when 0 was asked).</summary>
    public IPEndPoint Primary => _responder.Cell(0, 0);

    /// <summary>The alternate endpoint (other address and port) as bound, if any.</summary>
    public IPEndPoint? Alternate => _responder.HasAlternate ? _responder.Cell(1, 1) : null;

    /// <summary>Every endpoint answered on (TCP and UDP use the same ones).</summary>
    public IReadOnlyList<IPEndPoint> EndPoints => [.. _responder.HasAlternate
        ? new[] { _responder.Cell(0, 0), _responder.Cell(0, 1), _responder.Cell(1, 0), _responder.Cell(1, 1) }
        : [_responder.Cell(0, 0)]];

    /// <summary>Binds every socket (a port of 0 is chosen once and used on both addresses) and starts answering.</summary>
    public static StunServer Start(StunServerOptions options)
    {
        if (options.Alternate is { } alt && (alt.Address.Equals(options.Primary.Address) || (alt.Port == options.Primary.Port && alt.Port != 0)
            || alt.AddressFamily != options.Primary.AddressFamily))
        {
            throw new ArgumentException("the alternate endpoint needs another address of the same family and another port", nameof(options));
        }
        // a port of 0 is chosen by the kernel for the first socket and must then be free for the other three;
        // when another program holds it on one of them, choose again
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (cells, udp, tcp) = BindCells(options);
                var server = new StunServer(options, cells, udp, tcp);
                server.StartLoops();
                return server;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt < 16
                                             && (options.Primary.Port == 0 || options.Alternate?.Port == 0))
            {
            }
        }
    }

    private static (IPEndPoint[,] Cells, Socket?[,] Udp, Socket?[,] Tcp) BindCells(StunServerOptions options)
    {
        var ips = options.Alternate is { } a ? new[] { options.Primary.Address, a.Address } : [options.Primary.Address];
        var ports = options.Alternate is { } b ? new[] { options.Primary.Port, b.Port } : [options.Primary.Port];
        var n = ips.Length;
        var cells = new IPEndPoint[n, n];
        var udp = new Socket?[n, n];
        var tcp = new Socket?[n, n];
        try
        {
            for (var p = 0; p < n; p++)
            {
                for (var i = 0; i < n; i++)
                {
                    var endpoint = new IPEndPoint(ips[i], ports[p]);
                    if (options.Udp)
                    {
                        udp[i, p] = BindUdp(endpoint);
                        endpoint = (IPEndPoint)udp[i, p]!.LocalEndPoint!;
                    }
                    if (options.Tcp)
                    {
                        tcp[i, p] = BindTcp(endpoint);
                        endpoint = (IPEndPoint)tcp[i, p]!.LocalEndPoint!;
                    }
                    ports[p] = endpoint.Port;  // a port chosen by the kernel is reused on the other address
                    cells[i, p] = endpoint;
                }
            }
            return (cells, udp, tcp);
        }
        catch
        {
            foreach (var socket in udp.Cast<Socket?>().Concat(tcp.Cast<Socket?>()))
            {
                socket?.Dispose();
            }
            throw;
        }
    }

    private static Socket BindUdp(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(endpoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Socket BindTcp(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endpoint);
            socket.Listen(128);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void StartLoops()
    {
        var n = _udp.GetLength(0);
        for (var i = 0; i < n; i++)
        {
            for (var p = 0; p < n; p++)
            {
                var (ip, port) = (i, p);
                if (_udp[i, p] is { } udp)
                {
                    _loops.Add(Task.Run(() => UdpLoopAsync(udp, ip, port)));
                }
                if (_tcp[i, p] is { } tcp)
                {
                    _loops.Add(Task.Run(() => AcceptLoopAsync(tcp, ip, port)));
                }
            }
        }
        ProbingLog.ServerStarted(_logger, string.Join(", ", EndPoints));
    }

    private async Task UdpLoopAsync(Socket socket, int ip, int port)
    {
        var buffer = new byte[StunCodec.MaxMessageLength];
        while (await ProbeSockets.ReceiveDatagramAsync(socket, buffer, _stop.Token) is (var length, var client))
        {
            if (!StunCodec.TryDecode(buffer.AsSpan(0, length), out var request, out var error))
            {
                ProbingLog.StunIgnored(_logger, client.ToString(), error.ToString());
                continue;
            }
            if (_responder.Answer(request, client, ip, port, overTcp: false) is { } answer)
            {
                var from = _udp[answer.FromIp, answer.FromPort] ?? socket;
                try
                {
                    // RFC 5780 §7.5 RESPONSE-PORT: another port, but always the requester's own address
                    var to = request.ResponsePort is { } responsePort and > 0 ? new IPEndPoint(client.Address, responsePort) : client;
                    await from.SendToAsync(StunCodec.Encode(answer.Response), SocketFlags.None, to, _stop.Token);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    ProbingLog.UdpSendFailed(_logger, client.ToString(), e.Message);
                }
            }
        }
    }

    private async Task AcceptLoopAsync(Socket listener, int ip, int port)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stop.Token);
            }
            catch (SocketException)
            {
                continue;
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            if (!_clients.Wait(0))
            {
                client.Dispose();
                continue;
            }
            _ = ServeTcpAsync(client, ip, port);
        }
    }

    private async Task ServeTcpAsync(Socket socket, int ip, int port)
    {
        var remote = ProbeSockets.Unmap((IPEndPoint)socket.RemoteEndPoint!);
        try
        {
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            while (true)
            {
                using var idle = new Deadline(_options.TcpIdleTimeout, _options.TimeProvider, _stop.Token);
                if (await StunFraming.ReadAsync(stream, idle.Token) is not { } request)
                {
                    return;
                }
                if (_responder.Answer(request, remote, ip, port, overTcp: true) is not { } answer)
                {
                    continue;
                }
                var response = answer.Response;
                if (request.ConnectBack && response.Class == StunClass.SuccessResponse)
                {
                    response = response with { ConnectBackResult = await ConnectBackAsync(remote, ip, _stop.Token) };
                }
                await stream.WriteAsync(StunCodec.Encode(response), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or BurrowException)
        {
            ProbingLog.TcpClientDropped(_logger, remote.ToString(), e.Message);
        }
        finally
        {
            _clients.Release();
        }
    }

    /// <summary>Connects from the other address than the one asked to <paramref name="target"/> (the asker itself).</summary>
    private async Task<ConnectBackOutcome> ConnectBackAsync(IPEndPoint target, int askedIp, CancellationToken cancellationToken)
    {
        if (!_responder.HasAlternate || !_connectBacks.Wait(0))
        {
            return ConnectBackOutcome.NotTried;
        }
        var source = new IPEndPoint(_responder.Cell(1 - askedIp, 0).Address, 0);
        var outcome = ConnectBackOutcome.NotTried;
        try
        {
            // A few SYNs, each from its own port and a little apart, so that one lost SYN or RST does not make a
            // NAT that resets look like one that drops: the first that connects or is reset decides.
            using var deadline = new Deadline(_options.ConnectBackTimeout, _options.TimeProvider, cancellationToken);
            using var attempts = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            var spacing = _options.ConnectBackTimeout / (ConnectBackAttempts + 1);
            var pending = Enumerable.Range(0, ConnectBackAttempts).Select(i => OneConnectBackAsync(source, target, spacing * i, attempts.Token)).ToList();
            outcome = ConnectBackOutcome.Dropped;
            while (pending.Count > 0 && outcome == ConnectBackOutcome.Dropped)
            {
                var done = await Task.WhenAny(pending);
                pending.Remove(done);
                outcome = await done;
            }
            await attempts.CancelAsync(); // the others are no longer needed
            await Task.WhenAll(pending);
            return cancellationToken.IsCancellationRequested ? ConnectBackOutcome.NotTried : outcome;
        }
        finally
        {
            ProbingLog.ConnectBack(_logger, target.ToString(), source.ToString(), outcome.ToString());
            _connectBacks.Release();
        }
    }

    /// <summary>How many SYNs one connect-back sends.</summary>
    public const int ConnectBackAttempts = 3;

    private async Task<ConnectBackOutcome> OneConnectBackAsync(IPEndPoint source, IPEndPoint target, TimeSpan after, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(after, _options.TimeProvider, cancellationToken);
            using var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(source);
            await socket.ConnectAsync(target, cancellationToken);
            return ConnectBackOutcome.Open;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return ConnectBackOutcome.Reset;
        }
        catch (Exception e) when (e is OperationCanceledException
                                   || (e is SocketException se && se.SocketErrorCode is SocketError.TimedOut or SocketError.HostUnreachable or SocketError.NetworkUnreachable))
        {
            return ConnectBackOutcome.Dropped;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var socket in _udp.Cast<Socket?>().Concat(_tcp.Cast<Socket?>()))
        {
            socket?.Dispose();
        }
        await Task.WhenAll(_loops).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
