namespace Burrow.Probing;

/// <summary>What a NAT profile means for getting a TCP connection in.</summary>
public enum Connectivity
{
    /// <summary>Peers can dial this node's public endpoint.</summary>
    ReachableDirectly,
    /// <summary>Not dialable, but the public port is predictable: simultaneous open (hole punching) can work.</summary>
    Punchable,
    /// <summary>The public port cannot be predicted (or nothing could be measured): only a relay is sure to work.</summary>
    NeedsRelay,
}
