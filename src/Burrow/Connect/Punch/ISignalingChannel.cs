using System.Net;
using Burrow.Addressing;
using Burrow.Identity;

namespace Burrow.Connect.Punch;

/// <summary>What a punch needs from a rendezvous connection: a way to signal a node, and what the server measured.</summary>
public interface ISignalingChannel
{
    /// <summary>The rendezvous this channel goes through (matched against a peer's address).</summary>
    SignalEndpoint Server { get; }

    /// <summary>Completes once the channel is registered and can carry signals, and <see cref="Clock"/> has been measured.</summary>
    Task WaitReadyAsync(CancellationToken cancellationToken);

    /// <summary>Queues a signal for <paramref name="target"/>; false when the channel is down.</summary>
    bool TrySend(NodeId target, ReadOnlyMemory<byte> payload);

    /// <summary>What to add to the local clock to get the server's, and the round trip it was measured over (null: not measured).</summary>
    (TimeSpan Offset, TimeSpan RoundTrip)? Clock { get; }

    /// <summary>This node's public endpoint as the server saw it (null: not known yet).</summary>
    IPEndPoint? ObservedEndPoint { get; }
}
