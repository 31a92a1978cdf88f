using Burrow.Identity;

namespace Burrow.Rendezvous.Client;

/// <summary>A signal another node sent through the rendezvous. <see cref="Source"/> is what the server claims: trust only what the payload proves.</summary>
public sealed record IncomingSignal(NodeId Source, ReadOnlyMemory<byte> Payload, RendezvousClient Via);
