namespace Burrow.Relay;

/// <summary>The relay would not (or could not) pair this connection; <see cref="Status"/> says why.</summary>
public sealed class RelayRefusedException(RelayStatus status, string message)
    : BurrowException("relay_refused", message)
{
    public RelayStatus Status { get; } = status;
}
