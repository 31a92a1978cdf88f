using Burrow.PortMapping.NatPmp;
using Microsoft.Extensions.Logging;

namespace Burrow.PortMapping;

/// <summary>
/// Keeps one mapping alive: maps with the best protocol the gateway speaks, renews before half the lease,
/// re-maps when the gateway's epoch or public address changes, retries when there is none, and deletes it on
/// dispose and on process exit (logging what to remove by hand if the gateway does not confirm).
/// </summary>
public sealed class MappingKeeper : IAsyncDisposable
{
    private readonly GatewayMappers _mappers;
    private readonly PortMapRequest _request;
    private readonly PortMapOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private readonly long _startedAt;
    private IPortMapper? _mapper;
    private PortMapping? _mapping;
    private Task _loop = Task.CompletedTask;
    private int _disposed;

    public MappingKeeper(GatewayMappers mappers, PortMapRequest request, PortMapOptions options, ILogger logger)
    {
        _mappers = mappers;
        _request = request;
        _options = options;
        _logger = logger;
        _startedAt = options.TimeProvider.GetTimestamp();
    }

    /// <summary>Raised (on the keeper's thread) when the mapping appears, moves or goes away.</summary>
    public event Action<PortMapping?>? Changed;

    /// <summary>The mapping in use (public endpoint known), if any.</summary>
    public PortMapping? Mapping { get { lock (_lock) return _mapping; } }

    /// <summary>The last attempt's outcome (why there is no mapping, when there is none).</summary>
    public PortMapResult? LastResult { get; private set; }

    /// <summary>Time from the keeper's creation to its first mapping.</summary>
    public TimeSpan? TimeToFirstMapping { get; private set; }

    /// <summary>Time from the keeper's creation to the first attempt's outcome, mapped or not.</summary>
    public TimeSpan? TimeToFirstResult { get; private set; }

    /// <summary>Completes once the first attempt has a result (mapped or not).</summary>
    public Task FirstAttempt => _firstAttempt.Task;

    public void Start()
    {
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var time = _options.TimeProvider;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var current = Mapping;
                if (current is null)
                {
                    var (result, mapper) = await _mappers.MapBestAsync(_request, stopping).ConfigureAwait(false);
                    Adopt(result, mapper);
                    _firstAttempt.TrySetResult();
                    if (result.Mapping is null)
                    {
                        await Task.Delay(_options.RetryInterval, time, stopping).ConfigureAwait(false);
                    }
                    continue;
                }
                var now = time.GetUtcNow();
                var wake = current.RenewAt < now + _options.CheckInterval ? current.RenewAt : now + _options.CheckInterval;
                if (wake > now)
                {
                    await Task.Delay(wake - now, time, stopping).ConfigureAwait(false);
                }
                if (time.GetUtcNow() >= current.RenewAt || await GatewayChangedAsync(current, stopping).ConfigureAwait(false))
                {
                    await RenewAsync(current, stopping).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            PortMapLog.LoopFailed(_logger, e);
        }
        finally
        {
            _firstAttempt.TrySetResult();
        }
    }

    private async Task RenewAsync(PortMapping current, CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(_options.RequestTimeout);
        var result = await _mapper!.MapAsync(_request, current, timeout.Token).ConfigureAwait(false);
        if (result.Mapping is { } renewed)
        {
            if (current.Epoch is { } before && renewed.Epoch is { } after
                && NatPmpCodec.EpochIndicatesReset(before, after, renewed.ObtainedAt - current.ObtainedAt))
            {
                PortMapLog.Remapping(_logger, "the gateway's epoch went back: it lost its mappings", renewed.Describe());
            }
            PortMapLog.Renewed(_logger, renewed.Describe());
        }
        Adopt(result, _mapper);
    }

    /// <summary>Between renewals: has the gateway restarted (epoch) or its public address changed?</summary>
    private async Task<bool> GatewayChangedAsync(PortMapping current, CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(_options.RequestTimeout);
        GatewayProbe probe;
        try
        {
            probe = await _mapper!.ProbeAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return false; // no answer in time is not a change; the renewal will tell
        }
        if (!probe.Available)
        {
            return false; // a lost answer is not a change; the renewal will tell
        }
        var elapsed = _options.TimeProvider.GetUtcNow() - current.ObtainedAt;
        var why = probe.ExternalAddress is { } address && !address.Equals(current.External.Address) ? $"public address now {address}"
            : current.Epoch is { } before && probe.Epoch is { } after && NatPmpCodec.EpochIndicatesReset(before, after, elapsed) ? "the gateway's epoch went back"
            : null;
        if (why is not null)
        {
            PortMapLog.Remapping(_logger, why, current.Describe());
        }
        return why is not null;
    }

    private void Adopt(PortMapResult result, IPortMapper? mapper)
    {
        bool changed;
        lock (_lock)
        {
            var before = _mapping;
            _mapping = result.Mapping;
            _mapper = result.Mapping is null ? null : mapper;
            changed = !Equals(before?.External, _mapping?.External) || before?.Method != _mapping?.Method;
        }
        LastResult = result;
        TimeToFirstResult ??= _options.TimeProvider.GetElapsedTime(_startedAt);
        if (result.Mapping is { } mapping)
        {
            TimeToFirstMapping ??= _options.TimeProvider.GetElapsedTime(_startedAt);
            if (changed)
            {
                PortMapLog.Mapped(_logger, mapping.Describe());
            }
        }
        else
        {
            PortMapLog.NoMapping(_logger, result.Reason.ToString(), result.Detail);
        }
        if (changed)
        {
            Changed?.Invoke(result.Mapping);
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => DisposeAsync().AsTask().Wait(_options.RequestTimeout * 2);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        PortMapping? mapping;
        IPortMapper? mapper;
        lock (_lock)
        {
            (mapping, mapper) = (_mapping, _mapper);
            _mapping = null;
        }
        if (mapping is not null && mapper is not null)
        {
            using var timeout = new CancellationTokenSource(_options.RequestTimeout, _options.TimeProvider);
            if (await mapper.DeleteAsync(mapping, timeout.Token).ConfigureAwait(false))
            {
                PortMapLog.Deleted(_logger, mapping.Describe());
            }
        }
        _stopping.Dispose();
    }
}
