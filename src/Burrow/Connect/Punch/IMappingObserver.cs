using System.Net;

namespace Burrow.Connect.Punch;

/// <summary>
/// A fresh look at the public endpoint a NAT gives a new outbound TCP flow (a STUN binding request over TCP).
/// A sequential NAT's next port follows from the port it gave last, so a punch from behind one asks just
/// before it offers (see <see cref="PortPrediction"/>).
/// </summary>
public interface IMappingObserver
{
    /// <summary>The public endpoint of a new TCP flow from <paramref name="local"/>; null when no server answered in time.</summary>
    Task<IPEndPoint?> ObserveAsync(IPEndPoint local, CancellationToken cancellationToken);
}
