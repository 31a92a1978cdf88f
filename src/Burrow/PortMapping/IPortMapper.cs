using Burrow.Addressing;

namespace Burrow.PortMapping;

/// <summary>
/// One port-mapping protocol spoken to one gateway. Drivers own their sockets per call; every call is bounded
/// by its token. Refusals and silence are values (<see cref="PortMapResult"/>), not exceptions.
/// </summary>
public interface IPortMapper
{
    MappingMethod Method { get; }

    /// <summary>Asks whether the gateway speaks this protocol (cheaply, without creating a mapping).</summary>
    Task<GatewayProbe> ProbeAsync(CancellationToken cancellationToken);

    /// <summary>Creates (or, given <paramref name="previous"/>, renews) a mapping.</summary>
    Task<PortMapResult> MapAsync(PortMapRequest request, PortMapping? previous, CancellationToken cancellationToken);

    /// <summary>Deletes a mapping; false (and a logged reason) when the gateway did not confirm it.</summary>
    Task<bool> DeleteAsync(PortMapping mapping, CancellationToken cancellationToken);
}
