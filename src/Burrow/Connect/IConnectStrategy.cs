namespace Burrow.Connect;

/// <summary>
/// One way of reaching a peer (direct, reverse, hole punch, relay…). Strategies know nothing of each other;
/// the <see cref="ConnectOrchestrator"/> runs the ones the <see cref="ConnectPlanner"/> picks.
/// </summary>
public interface IConnectStrategy
{
    /// <summary>The name reported in the <c>connected</c> event and in failures (e.g. <c>direct</c>).</summary>
    string Name { get; }

    /// <summary>Tries to get an authenticated connection to <see cref="ConnectContext.Remote"/>. Failing is a value, not an exception.</summary>
    Task<AttemptOutcome> TryConnectAsync(ConnectContext context, CancellationToken cancellationToken);
}
