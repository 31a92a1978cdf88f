using Burrow.Addressing;

namespace Burrow.Connect.Punch;

/// <summary>
/// Which public ports a NAT will give the next outbound connection from a local port (pure). A peer punching
/// towards this node aims at these; the node puts them in its punch offer.
/// </summary>
public static class PortPrediction
{
    /// <summary>
    /// How many flows a node behind a sequential NAT opens in a punch (one after the other, from fresh local
    /// ports): the NAT gives them the next ports after the one observed, and the window's last port is the one
    /// offered — so up to this many minus one flows opened meanwhile (by other hosts, or the node itself) still
    /// leave one of the window's flows on the offered port.
    /// </summary>
    public const int DefaultSequentialWindow = 4;

    /// <summary>
    /// The likely public ports, most likely first; empty when the NAT maps at random (then only a spread of
    /// guesses can meet it — see <see cref="BirthdayPorts"/>).
    /// </summary>
    /// <param name="nat">The NAT's behaviour as profiled.</param>
    /// <param name="localPort">The local port the punch will connect from.</param>
    /// <param name="lastObservedPort">The public port of the latest mapping seen (e.g. by the rendezvous), 0 if none.</param>
    /// <param name="window">For a sequential NAT: how many flows the punch opens (the port of the last is offered).</param>
    public static IReadOnlyList<int> Predict(NatBehavior nat, int localPort, int lastObservedPort, int window = DefaultSequentialWindow)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(localPort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(localPort, 65535);
        return nat.Mapping switch
        {
            NatMapping.Open or NatMapping.PortPreserving => [localPort],
            NatMapping.EndpointIndependent => lastObservedPort != 0 ? [lastObservedPort] : [],
            NatMapping.Sequential when lastObservedPort != 0 && nat.Delta != 0 =>
                [.. new[] { lastObservedPort + Math.Max(1, window) * nat.Delta }.Where(IsPort)],
            NatMapping.Random => [],
            // Unknown (or sequential without a reference): preservation is the most common behaviour, then the last port seen.
            _ => lastObservedPort != 0 && lastObservedPort != localPort ? [localPort, lastObservedPort] : [localPort],
        };
    }

    /// <summary>
    /// Whether a prediction for <paramref name="nat"/> needs a fresh look at the port the NAT gives now (see
    /// <see cref="IMappingObserver"/>): a sequential NAT's next port follows the last one; an endpoint-independent
    /// one keeps the port it gave the punch port, whatever it is.
    /// </summary>
    public static bool NeedsObservation(NatBehavior nat) => nat.Mapping is NatMapping.Sequential or NatMapping.EndpointIndependent;

    /// <summary>
    /// A spread of distinct ports for the birthday technique against a random-port NAT: <paramref name="count"/>
    /// ports drawn without repetition from the ephemeral-ish range 1024–65535, from a seed both sides can share.
    /// </summary>
    public static IReadOnlyList<int> BirthdayPorts(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 4096);
        var random = new Random(seed);
        var ports = new HashSet<int>();
        var ordered = new List<int>(count);
        while (ordered.Count < count)
        {
            var port = random.Next(1024, 65536);
            if (ports.Add(port))
            {
                ordered.Add(port);
            }
        }
        return ordered;
    }

    private static bool IsPort(int port) => port is >= 1 and <= 65535;
}
