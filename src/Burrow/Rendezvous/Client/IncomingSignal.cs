using Burrow.Identity;

namespace Burrow.Rendezvous.Client;

/// <summary>A signal another node sent through the rendezvous. <see cref="Source"/> is what the server claims: trust only what the payload proves.</summary>
public sealed record IncomingSignal(NodeId Source, ReadOnlyMemory<byte> Payload, RendezvousClient Via)
{
    /// <summary>When it was read off the rendezvous connection (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public long ReceivedAt { get; init; } = System.Diagnostics.Stopwatch.GetTimestamp();
}
