using Burrow.Addressing;

namespace Burrow.Connect;

/// <summary>One step of a connect plan: run <paramref name="Strategy"/>, at the latest <paramref name="StartAfter"/> into the connect.</summary>
public sealed record PlanStep(string Strategy, TimeSpan StartAfter);

/// <summary>
/// Decides which strategies to try and when, from the two addresses alone (pure, so every case is unit-tested).
/// Strategies not available on this node are left out of the plan.
/// </summary>
public static class ConnectPlanner
{
    public static IReadOnlyList<PlanStep> Plan(NodeAddress? local, NodeAddress remote, IReadOnlySet<string> available)
    {
        ArgumentNullException.ThrowIfNull(remote);
        var steps = new List<PlanStep>();
        if (DialTargets.From(remote).Count > 0)
        {
            steps.Add(new PlanStep(DirectStrategy.StrategyName, TimeSpan.Zero));
        }
        return [.. steps.Where(s => available.Contains(s.Strategy))];
    }
}
