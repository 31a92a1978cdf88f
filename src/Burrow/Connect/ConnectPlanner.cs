using Burrow.Addressing;

namespace Burrow.Connect;

/// <summary>One step of a connect plan: run <paramref name="Strategy"/>, at the latest <paramref name="StartAfter"/> into the connect.</summary>
public sealed record PlanStep(string Strategy, TimeSpan StartAfter);

/// <summary>
/// Decides which strategies to try and when, from the two addresses alone (pure, so every case is unit-tested).
/// Strategies run in this order, each started a little after the previous one unless that one has already
/// failed (Happy-Eyeballs style: the cheap paths get a head start, the rest are not kept waiting long):
/// <list type="number">
/// <item><c>direct</c> — the peer has an endpoint to dial: public, mapped, or LAN (LAN first when both are on one network);</item>
/// <item><c>reverse</c> — the peer can be signaled and may be able to dial this node: ask it to connect here;</item>
/// <item><c>punch</c> — the peer can be signaled and the two NATs are not both random: TCP simultaneous open;</item>
/// <item><c>relay</c> — the peer can be signaled or names a relay: the last resort, started last.</item>
/// </list>
/// Strategies this node does not have are left out, and the delays close up behind them. A strategy the two
/// addresses say is not expected to work (a dial to a public endpoint whose NAT or firewall drops or resets
/// unsolicited SYNs; a reverse connect to such an endpoint of this node) is still tried, but gets no head start:
/// the next one starts with it.
/// </summary>
public static class ConnectPlanner
{
    public const string Reverse = "reverse";
    public const string Punch = "punch";
    public const string Relay = "relay";

    /// <summary>How long each strategy waits for the one before it.</summary>
    public static readonly IReadOnlyDictionary<string, TimeSpan> HeadStart = new Dictionary<string, TimeSpan>
    {
        [DirectStrategy.StrategyName] = TimeSpan.Zero,
        [Reverse] = TimeSpan.FromMilliseconds(250),
        [Punch] = TimeSpan.FromMilliseconds(250),
        [Relay] = TimeSpan.FromSeconds(2),
    };

    public static IReadOnlyList<PlanStep> Plan(NodeAddress? local, NodeAddress remote, IReadOnlySet<string> available)
    {
        ArgumentNullException.ThrowIfNull(remote);
        var signalable = remote.Rendezvous.Count > 0;
        var candidates = new List<(string Strategy, bool Expected)>();
        if (DialTargets.From(remote).Count > 0)
        {
            candidates.Add((DirectStrategy.StrategyName, NetworkRelation.ExpectDial(local, remote)));
        }
        if (signalable && local is not null && NetworkRelation.MayDialBack(local, remote))
        {
            candidates.Add((Reverse, NetworkRelation.ExpectDial(remote, local)));
        }
        if (signalable && local is not null && NetworkRelation.Punchable(local, remote))
        {
            candidates.Add((Punch, true));
        }
        if (signalable || remote.Relays.Count > 0)
        {
            candidates.Add((Relay, true));
        }
        var steps = new List<PlanStep>();
        var previousExpected = false;
        foreach (var (strategy, expected) in candidates.Where(c => available.Contains(c.Strategy)))
        {
            var start = steps.Count == 0 ? TimeSpan.Zero : steps[^1].StartAfter + (previousExpected ? HeadStart[strategy] : TimeSpan.Zero);
            steps.Add(new PlanStep(strategy, start));
            previousExpected = expected;
        }
        return steps;
    }

    /// <summary>
    /// What to try to replace a relayed connection with a direct one: the plan without <c>reverse</c> and
    /// <c>relay</c>. The new connection must name the relayed one it replaces, and only a TLS client can
    /// (<see cref="Transport.UpgradeTag"/>): in a direct dial and in a punch this node is the client, in a reverse
    /// connect the peer is. Empty when the addresses leave no direct way (both NATs random, say).
    /// </summary>
    public static IReadOnlyList<PlanStep> UpgradePlan(NodeAddress local, NodeAddress remote, IReadOnlySet<string> available) =>
        Plan(local, remote, available.Where(s => s is DirectStrategy.StrategyName or Punch).ToHashSet(StringComparer.Ordinal));
}
