using System.Net;

namespace Burrow.Lab.Tests;

/// <summary>How a router maps a LAN host's outbound flows, as seen from the public server.</summary>
public enum Mapping
{
    /// <summary>The server sees the host's own address and port (no NAT).</summary>
    NoTranslation,
    /// <summary>Same public port for every destination, equal to the host's local port.</summary>
    Preserving,
    /// <summary>Same public port for every destination, but not the local one.</summary>
    EndpointIndependent,
    /// <summary>A new public port per destination, a constant small step apart.</summary>
    Sequential,
    /// <summary>A new public port per destination with no visible pattern.</summary>
    Random,
}

/// <summary>What an unsolicited inbound TCP connection to a mapping (from another address) gets.</summary>
public enum Filtering { Open, Drop, Rst, Other }

public sealed record NatBehaviour(Mapping Mapping, int? Delta, Filtering Filtering)
{
    public override string ToString() => $"{Mapping}{(Delta is { } d ? $"({d:+0;-0})" : "")}/{Filtering}";

    /// <summary>What each router type must look like from the server.</summary>
    public static NatBehaviour ExpectedFor(string routerType) => routerType switch
    {
        RouterTypes.Open => new(Mapping.NoTranslation, null, Filtering.Open),
        RouterTypes.Firewall => new(Mapping.NoTranslation, null, Filtering.Drop),
        RouterTypes.NatDrop => new(Mapping.Preserving, null, Filtering.Drop),
        RouterTypes.NatRst => new(Mapping.Preserving, null, Filtering.Rst),
        RouterTypes.Symmetric => new(Mapping.Random, null, Filtering.Drop),
        RouterTypes.Sequential => new(Mapping.Sequential, 1, Filtering.Drop),
        RouterTypes.FullCone => new(Mapping.Preserving, null, Filtering.Open),
        RouterTypes.Double => new(Mapping.Preserving, null, Filtering.Drop),
        RouterTypes.Upnp => new(Mapping.Preserving, null, Filtering.Drop),
        _ => throw new ArgumentException($"no expectation for router type '{routerType}'", nameof(routerType)),
    };

    /// <summary>Classifies the public endpoints the server saw for flows that all left
    /// <paramref name="local"/>, in the order they were opened.</summary>
    public static (Mapping Mapping, int? Delta) ClassifyMapping(IPEndPoint local, IReadOnlyList<IPEndPoint> observed)
    {
        if (observed.Count < 3)
            throw new ArgumentException("need at least 3 observations to classify a mapping", nameof(observed));
        if (observed.All(o => o.Equals(local)))
            return (Mapping.NoTranslation, null);
        var ports = observed.Select(o => o.Port).ToList();
        if (ports.Distinct().Count() == 1)
            return (ports[0] == local.Port ? Mapping.Preserving : Mapping.EndpointIndependent, null);
        var deltas = ports.Zip(ports.Skip(1), (a, b) => b - a).Distinct().ToList();
        return deltas is [var delta] && delta != 0 && Math.Abs(delta) <= 16
            ? (Mapping.Sequential, delta)
            : (Mapping.Random, null);
    }

    public static Filtering ParseFiltering(string? outcome) => outcome switch
    {
        "open" => Filtering.Open,
        "drop" => Filtering.Drop,
        "rst" => Filtering.Rst,
        _ => Filtering.Other,
    };
}
