using System.Net;

namespace Burrow.Probing.Stun;

/// <summary>A response to a STUN request: the message, where it came from, and the round trip.</summary>
public sealed record StunResponse(StunMessage Message, IPEndPoint From, TimeSpan RoundTrip);
