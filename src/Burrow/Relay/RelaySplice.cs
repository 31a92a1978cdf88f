using System.Buffers;
using System.Net.Sockets;
using Burrow.Transport;

namespace Burrow.Relay;

/// <summary>
/// One paired session (thin I/O driver): copies bytes both ways, each direction up to the byte limit. When both ends
/// have half-closed it is over. When a limit is reached (bytes, duration, or <see cref="RelayLimits.MaxIdle"/>
/// without a byte) it stops forwarding, sends both ends end-of-stream after the bytes it did forward, and drops what
/// they still send until they close, for at most <see cref="RelayServerOptions.CloseTimeout"/>. When an end breaks,
/// or the relay stops, both are dropped at once.
/// </summary>
internal sealed class RelaySplice : IDisposable
{
    private readonly Socket _a;
    private readonly Socket _b;
    private readonly RelayServerOptions _options;
    private readonly CancellationTokenSource _abort; // drop both ends now (broken, stopping, or the close timeout)
    private readonly CancellationTokenSource _forwarding; // stop reading to forward (a limit, or the above)
    private readonly CancellationTokenRegistration _stopping;
    private readonly ITimer _duration;
    private readonly ITimer _idle;
    private long _lastByte;
    private string? _limit;

    /// <summary>Starts the session's clocks; <see cref="RunAsync"/> copies.</summary>
    public RelaySplice(Socket a, Socket b, RelayServerOptions options, CancellationToken stopping)
    {
        (_a, _b, _options) = (a, b, options);
        _abort = new CancellationTokenSource(Timeout.InfiniteTimeSpan, options.Time); // so the close timeout runs on options.Time
        _forwarding = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        _stopping = stopping.Register(static abort => ((CancellationTokenSource)abort!).Cancel(), _abort);
        _lastByte = options.Time.GetTimestamp();
        _duration = options.Time.CreateTimer(static s => ((RelaySplice)s!).End("time limit"), this, options.Limits.MaxDuration, Timeout.InfiniteTimeSpan);
        _idle = options.Time.CreateTimer(static s => ((RelaySplice)s!).CheckIdle(), this, options.Limits.MaxIdle, Timeout.InfiniteTimeSpan); // infinite: never fires
    }

    /// <summary>Copies until the session is over; the bytes carried each way and why it ended.</summary>
    public async Task<(long AtoB, long BtoA, string Reason)> RunAsync()
    {
        var ab = PumpAsync(_a, _b);
        var ba = PumpAsync(_b, _a);
        await Task.WhenAll(ab, ba).ConfigureAwait(false);
        var reason = Volatile.Read(ref _limit);
        if (reason is not null && !_abort.IsCancellationRequested)
        {
            LingeringClose.TryShutdownSend(_a);
            LingeringClose.TryShutdownSend(_b);
            // Drop what the ends still send until they close (or the close timeout).
            await Task.WhenAll(LingeringClose.DrainAsync(_a, _abort.Token), LingeringClose.DrainAsync(_b, _abort.Token)).ConfigureAwait(false);
        }
        if (_abort.IsCancellationRequested)
        {
            _a.Close(0); // broken, stopping, or the ends did not close in time: end both at once
            _b.Close(0);
            reason = reason is null ? "broken or stopping" : $"{reason}, ends dropped";
        }
        return (await ab.ConfigureAwait(false), await ba.ConfigureAwait(false), reason ?? "both sides closed");
    }

    private async Task<long> PumpAsync(Socket from, Socket to)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        long total = 0;
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, _forwarding.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    to.Shutdown(SocketShutdown.Send); // pass the half-close on: the peer's reads end, its TLS sees close_notify first
                    return total;
                }
                Volatile.Write(ref _lastByte, _options.Time.GetTimestamp());
                var allowed = (int)Math.Min(n, _options.Limits.MaxBytes - total);
                if (allowed > 0)
                {
                    // Not cancelled by a limit: what was read within it is delivered before the end-of-stream.
                    await to.SendAsync(buffer.AsMemory(0, allowed), SocketFlags.None, _abort.Token).ConfigureAwait(false);
                    total += allowed;
                    RelayServer.Bytes.Add(allowed);
                }
                if (allowed < n)
                {
                    End("byte limit");
                    return total;
                }
            }
        }
        catch (OperationCanceledException) when (!_abort.IsCancellationRequested)
        {
            return total; // a limit was reached: stop forwarding
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void CheckIdle()
    {
        var idle = _options.Time.GetElapsedTime(Volatile.Read(ref _lastByte));
        if (idle >= _options.Limits.MaxIdle)
        {
            End("idle");
        }
        else
        {
            Rearm(_idle, _options.Limits.MaxIdle - idle);
        }
    }

    /// <summary>A limit is reached: forwarding stops, and the ends have the close timeout from now to close.</summary>
    private void End(string limit)
    {
        if (Interlocked.CompareExchange(ref _limit, limit, null) is not null)
        {
            return;
        }
        try
        {
            _abort.CancelAfter(_options.CloseTimeout);
            _forwarding.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // a timer that fired as the session was being disposed
        }
    }

    private static void Rearm(ITimer timer, TimeSpan due)
    {
        try
        {
            timer.Change(due, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // the session is over
        }
    }

    public void Dispose()
    {
        _duration.Dispose();
        _idle.Dispose();
        _stopping.Dispose();
        _forwarding.Dispose();
        _abort.Dispose();
    }
}
