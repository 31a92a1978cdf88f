using System.Diagnostics.Metrics;

namespace Burrow.Rendezvous.Server;

/// <summary>The rendezvous server's counters, under the meter <c>Burrow</c>.</summary>
internal sealed class RendezvousMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _registrations;
    private readonly Counter<long> _signals;
    private readonly Counter<long> _datagrams;

    public RendezvousMetrics(IMeterFactory? factory, Func<int> registeredNodes)
    {
        _ownsMeter = factory is null;
        _meter = factory?.Create(Node.NodeMetrics.MeterName) ?? new Meter(Node.NodeMetrics.MeterName);
        _meter.CreateObservableUpDownCounter("burrow.rendezvous.nodes", registeredNodes, description: "Nodes registered at the rendezvous now.");
        _registrations = _meter.CreateCounter<long>("burrow.rendezvous.registrations", description: "Registrations, by result (accepted, or why refused).");
        _signals = _meter.CreateCounter<long>("burrow.rendezvous.signals", description: "Signals, by result: forwarded, unknown_peer, peer_busy.");
        _datagrams = _meter.CreateCounter<long>("burrow.rendezvous.datagrams.dropped", description: "Datagrams dropped or refused, by reason (malformed, unauthentic, unknown_session, join_*).");
    }

    public void Registration(string result) => _registrations.Add(1, new KeyValuePair<string, object?>("result", result));

    public void Signal(string result) => _signals.Add(1, new KeyValuePair<string, object?>("result", result));

    public void Datagram(string reason) => _datagrams.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
