namespace Burrow;

/// <summary>
/// The root of every fault Burrow raises. Expected outcomes (a failed probe, a refused mapping) are values;
/// exceptions derived from this type are faults, each with a stable machine-readable <see cref="Code"/>.
/// </summary>
public abstract class BurrowException : Exception
{
    protected BurrowException(string code, string message, Exception? inner = null)
        : base(message, inner) => Code = code;

    /// <summary>A stable, lowercase, snake_case identifier for the fault (e.g. <c>bad_address</c>).</summary>
    public string Code { get; }
}

/// <summary>The node identity file is missing, unreadable, corrupt or of the wrong kind.</summary>
public sealed class IdentityException(string code, string message, Exception? inner = null)
    : BurrowException(code, message, inner);

/// <summary>A node address could not be decoded or is not acceptable (see <see cref="Reason"/>).</summary>
public sealed class AddressFormatException(Addressing.AddressError reason, string message)
    : BurrowException("bad_address", message)
{
    public Addressing.AddressError Reason { get; } = reason;
}

/// <summary>The remote peer did not prove the identity it was expected to have, or spoke no Burrow.</summary>
public sealed class PeerAuthenticationException(string message, Exception? inner = null)
    : BurrowException("peer_authentication", message, inner);

/// <summary>A peer broke the wire protocol (oversized or truncated frame, unexpected data), or its stream was cut short (<c>stream_truncated</c>).</summary>
public sealed class ProtocolViolationException(string code, string message, Exception? inner = null)
    : BurrowException(code, message, inner);

/// <summary>No strategy produced an authenticated connection; <see cref="Attempts"/> says what each one did.</summary>
public sealed class ConnectFailedException(string message, IReadOnlyList<Connect.StrategyAttempt> attempts)
    : BurrowException("connect_failed", message)
{
    public IReadOnlyList<Connect.StrategyAttempt> Attempts { get; } = attempts;
}

/// <summary>A port-mapping gateway sent bytes or text that do not decode (see <see cref="Reason"/>).</summary>
public sealed class PortMapFormatException(PortMapping.PortMapFormatError reason, string message)
    : BurrowException("portmap_bad_reply", message)
{
    public PortMapping.PortMapFormatError Reason { get; } = reason;
}

/// <summary>Bytes that were expected to be a STUN message are not one (see <see cref="Reason"/>).</summary>
public sealed class StunFormatException(Probing.Stun.StunDecodeError reason)
    : BurrowException("bad_stun_message", $"not a valid STUN message: {reason}")
{
    public Probing.Stun.StunDecodeError Reason { get; } = reason;
}
