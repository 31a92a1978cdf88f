using Burrow.Transport;
using Microsoft.Extensions.Logging;

namespace Burrow.Connect;

/// <summary>
/// Runs a connect plan: the strategies race (each at its start time), the first authenticated stream wins,
/// and the caller learns what every strategy did. Adding a strategy never touches the others.
/// </summary>
public sealed class ConnectOrchestrator
{
    private readonly Dictionary<string, IConnectStrategy> _strategies;

    public ConnectOrchestrator(IEnumerable<IConnectStrategy> strategies)
    {
        _strategies = strategies.ToDictionary(s => s.Name, StringComparer.Ordinal);
        Available = _strategies.Keys.ToHashSet(StringComparer.Ordinal);
    }

    public IReadOnlySet<string> Available { get; }

    /// <summary>Connects, or throws <see cref="ConnectFailedException"/> listing each strategy and why it failed.</summary>
    public async Task<PeerConnection> ConnectAsync(ConnectContext context, IReadOnlyList<PlanStep> plan, CancellationToken cancellationToken)
    {
        if (plan.Count == 0)
        {
            throw new ConnectFailedException("No strategy can reach this peer: its address offers no way in that this node supports.", []);
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(context.Options.Timeout);
        var entrants = plan.Select(step => new RaceEntrant(step.Strategy, step.StartAfter,
            ct => _strategies[step.Strategy].TryConnectAsync(context, ct))).ToList();
        try
        {
            var (winner, attempts) = await AttemptRace.RunAsync(entrants, context.Time, deadline.Token).ConfigureAwait(false);
            foreach (var attempt in attempts)
            {
                ConnectLog.Attempt(context.Logger, context.Remote.NodeId.ToShortString(), attempt.Strategy, attempt.Result, attempt.Detail);
            }
            if (winner is null)
            {
                throw new ConnectFailedException($"Could not connect to {context.Remote.NodeId.ToShortString()}…: " + string.Join("; ", attempts), attempts);
            }
            winner.Attempts = attempts;
            return winner;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ConnectFailedException(
                $"Could not connect to {context.Remote.NodeId.ToShortString()}… within {context.Options.Timeout.TotalSeconds:0.#} s.",
                [.. plan.Select(s => new StrategyAttempt(s.Strategy, AttemptResult.Failed, "timed out", context.Options.Timeout))]);
        }
    }
}

internal static partial class ConnectLog
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Connect to {Peer}: {Strategy} {Result} ({Detail})")]
    public static partial void Attempt(ILogger logger, string peer, string strategy, AttemptResult result, string detail);
}
