using System.Net;
using Burrow.Addressing;
using Burrow.Identity;

namespace Burrow.Tests.Addressing;

/// <summary>A fixed key and address content whose encoding the golden tests pin byte for byte.</summary>
internal static class GoldenAddress
{
    public const string KeyPem = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1P0vIIsgmYTt1P3a
        GuJx0kcEwlqOmAyiZUd9YsN1ZiihRANCAASzD/dSgpTAt8+9eM0trYbCktcERxN/
        Bzte5zM9nCUoOPRgZrgvRvrsg+87SJRmiI/0pUqYa9kVc1lhzmqDeB61
        -----END PRIVATE KEY-----
        """;

    public static NodeIdentity Key() => NodeIdentity.FromPem(KeyPem);

    public static readonly DateTimeOffset IssuedAt = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A home node behind a port-preserving NAT with a UPnP mapping, and one rendezvous server.</summary>
    public static NodeAddressContent Content => new()
    {
        Endpoints =
        [
            new AddressEndpoint
            {
                LanAddress = IPAddress.Parse("192.168.1.20"),
                PublicAddress = IPAddress.Parse("198.51.100.7"),
                ListenPort = 40000,
                MappedPort = 40001,
                MappingMethod = MappingMethod.Upnp,
                Nat = new NatBehavior(NatMapping.PortPreserving, NatFiltering.Drops),
            },
        ],
        Rendezvous = [new SignalEndpoint("rv.example.org", 7777)],
        IssuedAt = IssuedAt,
        Lifetime = TimeSpan.FromHours(24),
    };
}
