using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Burrow.Probing.Stun;

/// <summary>
/// STUN over UDP from one socket it owns: any number of concurrent transactions, each retransmitted on the
/// RFC 8489 schedule and bounded by the caller's timeout. No answer is a value (<see langword="null"/>).
/// </summary>
public sealed class StunUdpClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<StunTransactionId, TaskCompletionSource<StunResponse>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiving;

    private StunUdpClient(Socket socket, TimeProvider time, ILogger logger)
    {
        _socket = socket;
        _time = time;
        _logger = logger;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _receiving = ReceiveLoopAsync();
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Binds (with SO_REUSEADDR/SO_REUSEPORT) to <paramref name="local"/>.</summary>
    public static StunUdpClient Bind(IPEndPoint local, TimeProvider? time = null, ILogger? logger = null) =>
        new(ProbeSockets.Bind(local, SocketType.Dgram), time ?? TimeProvider.System, logger ?? NullLogger.Instance);

    /// <summary>
    /// Sends <paramref name="request"/> to <paramref name="server"/> and retransmits per
    /// <paramref name="schedule"/> until a response with its transaction id arrives (returned, success or error)
    /// or <paramref name="timeout"/> or the schedule runs out (<see langword="null"/>).
    /// </summary>
    public async Task<StunResponse?> RequestAsync(StunMessage request, IPEndPoint server, TimeSpan timeout, StunRetransmission? schedule = null, CancellationToken cancellationToken = default)
    {
        schedule ??= StunRetransmission.Default;
        var bytes = StunCodec.Encode(request);
        var answer = new TaskCompletionSource<StunResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.TryAdd(request.TransactionId, answer))
        {
            throw new InvalidOperationException($"transaction {request.TransactionId} is already pending");
        }
        var started = _time.GetTimestamp();
        var giveUp = timeout < schedule.GiveUpAfter ? timeout : schedule.GiveUpAfter;
        try
        {
            foreach (var sendAt in schedule.SendTimes().Where(t => t < giveUp).Append(giveUp))
            {
                var wait = sendAt - _time.GetElapsedTime(started);
                if (wait > TimeSpan.Zero && await WaitAsync(answer.Task, wait, cancellationToken) is { } early)
                {
                    return early with { RoundTrip = _time.GetElapsedTime(started) };
                }
                if (sendAt == giveUp)
                {
                    break;
                }
                ProbingLog.StunSent(_logger, request.TransactionId.ToString(), server.ToString());
                await _socket.SendToAsync(bytes, SocketFlags.None, server, cancellationToken);
            }
            return answer.Task.IsCompletedSuccessfully ? answer.Task.Result with { RoundTrip = _time.GetElapsedTime(started) } : null;
        }
        finally
        {
            _pending.TryRemove(request.TransactionId, out _);
        }
    }

    private async Task<StunResponse?> WaitAsync(Task<StunResponse> answer, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(wait, _time, linked.Token);
        var first = await Task.WhenAny(answer, delay);
        await linked.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
        return first == answer ? await answer : null;
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[StunCodec.MaxMessageLength];
        while (await ProbeSockets.ReceiveDatagramAsync(_socket, buffer, _stop.Token) is (var length, var from))
        {
            if (!StunCodec.TryDecode(buffer.AsSpan(0, length), out var message, out var error))
            {
                ProbingLog.StunIgnored(_logger, from.ToString(), error.ToString());
                continue;
            }
            if (message.Class is StunClass.SuccessResponse or StunClass.ErrorResponse && _pending.TryGetValue(message.TransactionId, out var answer))
            {
                answer.TrySetResult(new StunResponse(message, from, TimeSpan.Zero));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _receiving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
