namespace Burrow.Addressing;

/// <summary>What a node states about itself in its address, before it is signed.</summary>
public sealed record NodeAddressContent
{
    public const int MaxEndpoints = 16;
    public const int MaxSignalEndpoints = 8;

    public IReadOnlyList<AddressEndpoint> Endpoints { get; init; } = [];

    /// <summary>Rendezvous servers where the node keeps a connection and can be signaled.</summary>
    public IReadOnlyList<SignalEndpoint> Rendezvous { get; init; } = [];

    /// <summary>Relays through which the node can be reached as a last resort.</summary>
    public IReadOnlyList<SignalEndpoint> Relays { get; init; } = [];

    /// <summary>When the address was issued (kept to the second).</summary>
    public DateTimeOffset IssuedAt { get; init; }

    /// <summary>How long after <see cref="IssuedAt"/> the address is valid (kept to the second).</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromHours(24);

    public DateTimeOffset ExpiresAt => IssuedAt + Lifetime;
}
