using System.Net;
using Burrow.Addressing;
using Burrow.Connect.Punch;
using Burrow.Connect.Signals;
using Burrow.Identity;

namespace Burrow.Tests.Connect;

/// <summary>
/// A rendezvous in memory: delivers each signal to its target's handler (optionally rewriting it, as a lying
/// server would) and records the kinds it carried.
/// </summary>
internal sealed class InMemoryRendezvous(Func<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>? rewrite = null)
{
    public static readonly SignalEndpoint Server = new("127.0.0.1", 7000);

    private readonly Dictionary<NodeId, Channel> _nodes = [];

    public List<byte> Kinds { get; } = [];

    public Channel Join(NodeId id, Action<Channel, NodeId, ReadOnlyMemory<byte>> onSignal)
    {
        var channel = new Channel(this, id, onSignal);
        lock (_nodes)
        {
            _nodes[id] = channel;
        }
        return channel;
    }

    private bool Deliver(NodeId source, NodeId target, ReadOnlyMemory<byte> payload)
    {
        payload = rewrite?.Invoke(payload) ?? payload;
        Channel? to;
        lock (_nodes)
        {
            Kinds.Add(SignedSignal.KindOf(payload.Span));
            _nodes.TryGetValue(target, out to);
        }
        to?.OnSignal(to, source, payload);
        return to is not null;
    }

    internal sealed class Channel(InMemoryRendezvous hub, NodeId self, Action<Channel, NodeId, ReadOnlyMemory<byte>> onSignal) : ISignalingChannel
    {
        public Action<Channel, NodeId, ReadOnlyMemory<byte>> OnSignal { get; } = onSignal;

        public SignalEndpoint Server => InMemoryRendezvous.Server;

        public (TimeSpan Offset, TimeSpan RoundTrip)? Clock => (TimeSpan.Zero, TimeSpan.FromMilliseconds(1));

        public IPEndPoint? ObservedEndPoint => new(IPAddress.Loopback, 1);

        public Task WaitReadyAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public bool TrySend(NodeId target, ReadOnlyMemory<byte> payload) => hub.Deliver(self, target, payload);
    }
}
