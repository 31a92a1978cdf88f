using System.Diagnostics.Metrics;

namespace Burrow.Node;

/// <summary>The node's counters, under the meter <c>Burrow</c>.</summary>
internal sealed class NodeMetrics : IDisposable
{
    public const string MeterName = "Burrow";
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _connections;
    private readonly Counter<long> _connectFailures;
    private readonly Counter<long> _inboundRefused;
    private readonly Histogram<double> _connectDuration;

    public NodeMetrics(IMeterFactory? factory)
    {
        _ownsMeter = factory is null;
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _connections = _meter.CreateCounter<long>("burrow.connections", description: "Authenticated peer connections, by direction (outbound, inbound, or upgrade: a direct connection replacing a relayed one) and strategy.");
        _connectFailures = _meter.CreateCounter<long>("burrow.connect.failures", description: "Outbound connects that no strategy completed.");
        _inboundRefused = _meter.CreateCounter<long>("burrow.inbound.refused", description: "Inbound connections closed before authentication, by reason.");
        _connectDuration = _meter.CreateHistogram<double>("burrow.connect.duration", unit: "ms", description: "Time from connect to an authenticated stream.");
    }

    public void Connected(string direction, string strategy, TimeSpan elapsed)
    {
        _connections.Add(1, new("direction", direction), new("strategy", strategy));
        _connectDuration.Record(elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("strategy", strategy));
    }

    public void ConnectFailed() => _connectFailures.Add(1);

    public void InboundRefused(string reason) => _inboundRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
