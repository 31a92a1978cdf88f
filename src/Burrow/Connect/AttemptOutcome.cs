using Burrow.Transport;

namespace Burrow.Connect;

/// <summary>What one attempt (a strategy, or one endpoint inside a strategy) came to: a connection or a reason.</summary>
public sealed record AttemptOutcome
{
    private AttemptOutcome(PeerConnection? connection, string? failure)
    {
        Connection = connection;
        Failure = failure;
    }

    public PeerConnection? Connection { get; }

    /// <summary>Why it did not connect, in words.</summary>
    public string? Failure { get; }

    public bool Succeeded => Connection is not null;

    public static AttemptOutcome Connected(PeerConnection connection) => new(connection, null);

    public static AttemptOutcome Failed(string reason) => new(null, reason);
}

/// <summary>A strategy tried during a connect, reported to the caller (and in a failed connect's exception).</summary>
/// <param name="Strategy">The strategy's name.</param>
/// <param name="Result">connected, failed, cancelled (another won first) or not started.</param>
/// <param name="Detail">Why it failed, or where it connected.</param>
/// <param name="Elapsed">From the start of the connect to the attempt's end.</param>
public sealed record StrategyAttempt(string Strategy, AttemptResult Result, string Detail, TimeSpan Elapsed)
{
    public override string ToString() => $"{Strategy}: {Result.ToString().ToLowerInvariant()} ({Detail}) after {Elapsed.TotalMilliseconds:F0} ms";
}

public enum AttemptResult
{
    Connected,
    Failed,
    Cancelled,
    NotStarted,
}
