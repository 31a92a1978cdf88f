using System.Net;

namespace Burrow.Probing;

/// <summary>
/// One mapping probe: a flow from <paramref name="Local"/> to the server endpoint <paramref name="Target"/>,
/// and the public endpoint the server saw (<see langword="null"/>: it did not answer).
/// </summary>
public readonly record struct MappingObservation(IPEndPoint Target, IPEndPoint Local, IPEndPoint? Mapped);
