using System.Net;
using Burrow.Addressing;

namespace Burrow.Tests.Addressing;

/// <summary>Pins the address encoding byte for byte, in both directions.</summary>
public class AddressGoldenTests
{
    /// <summary>Issued once with <see cref="GoldenAddress.Key"/> and <see cref="GoldenAddress.Content"/>; ECDSA signatures are randomized, so it is kept as a fixture.</summary>
    private const string GoldenText = "burrow1yfaQUm1Uwf13QZxz39ai415sRWpq8Y7zCp6TFwBPEEKtrveXJuoCkXNjvcxGewBDtJbamLpoxEUhes4Qvxnkf8S5oDwLyM25RTqVnQjMfxKVnNWjQiyL6KbiM3WtEPTadH97FY3R4HaV4fGz8EvKeZN7AahtyBAMmgS5JgigSqNSAHAowVYuwnufqs3iWmjnwu8LioV11fbwEyguSeq";

    private const string GoldenPublicKey = "03b30ff7528294c0b7cfbd78cd2dad86c292d70447137f073b5ee7333d9c252838";

    /// <summary>The record without its signature, laid out field by field (see docs/architecture.md).</summary>
    private static readonly string GoldenUnsigned = string.Concat(
        "10",                                   // version: major 1, minor 0
        "01", "21", GoldenPublicKey,            // public key: 33 bytes, compressed P-256
        "02", "05", "80f2d6ca06",               // issued at: LEB128 1767225600 (2026-01-01T00:00:00Z)
        "03", "03", "80a305",                   // lifetime: LEB128 86400 s
        "10", "11",                             // endpoint, 17 bytes:
        "06",                                   //   flags: IPv4, has LAN, has public
        "c0a80114",                             //   LAN 192.168.1.20
        "c6336407",                             //   public 198.51.100.7
        "9c40", "9c41",                         //   listen 40000, mapped 40001
        "02", "02", "00", "02",                 //   method UPnP, mapping port-preserving, delta 0, filtering drops
        "20", "12",                             // rendezvous, 18 bytes:
        "03", "0e", "72762e6578616d706c652e6f7267", //   DNS name, 14 bytes "rv.example.org"
        "1e61");                                //   port 7777

    [Fact]
    public void Encoding_of_the_unsigned_record_is_pinned()
    {
        using var key = GoldenAddress.Key();
        var address = Burrow.Addressing.NodeAddress.Issue(key, GoldenAddress.Content);
        Assert.Equal(GoldenUnsigned, Convert.ToHexStringLower(address.Record.Span[..^64]));
        Assert.Equal(GoldenUnsigned.Length / 2 + 64, address.Record.Length);
    }

    [Fact]
    public void Golden_text_decodes_to_exactly_the_golden_fields()
    {
        Assert.True(NodeAddress.TryParse(GoldenText, out var address, out var error), error.ToString());
        Assert.Equal(GoldenPublicKey, address.PublicKey.ToString());
        Assert.Equal("dnlm6gokjdh3d7jsumxtaimcbxe2tagigrczzppu5fkpski2hmra", address.NodeId.ToString());
        Assert.Equal(GoldenUnsigned, Convert.ToHexStringLower(address.Record.Span[..^64]));
        Assert.Equal(GoldenAddress.IssuedAt, address.IssuedAt);
        Assert.Equal(GoldenAddress.IssuedAt.AddHours(24), address.ExpiresAt);
        var endpoint = Assert.Single(address.Endpoints);
        Assert.Equal(IPAddress.Parse("192.168.1.20"), endpoint.LanAddress);
        Assert.Equal(IPAddress.Parse("198.51.100.7"), endpoint.PublicAddress);
        Assert.Equal((40000, 40001), (endpoint.ListenPort, endpoint.MappedPort));
        Assert.Equal(MappingMethod.Upnp, endpoint.MappingMethod);
        Assert.Equal(new NatBehavior(NatMapping.PortPreserving, NatFiltering.Drops), endpoint.Nat);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.7"), 40001), endpoint.PublicEndPoint);
        Assert.Equal("rv.example.org:7777", Assert.Single(address.Rendezvous).ToString());
        Assert.Empty(address.Relays);
        Assert.Equal(GoldenText, address.ToString());
    }

    [Fact]
    public void A_typical_one_endpoint_ipv4_address_with_a_rendezvous_fits_in_220_characters()
    {
        Assert.True(GoldenText.Length <= 220, $"{GoldenText.Length} characters");
    }

    [Fact]
    public void Unknown_fields_are_skipped_and_still_signed()
    {
        using var key = GoldenAddress.Key();
        // A newer writer's record: the golden fields plus an unknown field type 0x7f with 3 bytes.
        var unsigned = Convert.FromHexString(GoldenUnsigned + "7f03aabbcc");
        byte[] record = [.. unsigned, .. key.Sign(AddressRecordReader.SignedBytes(unsigned))];
        Assert.True(NodeAddress.TryFromRecord(record, out var address, out var error), error.ToString());
        Assert.Single(address.Endpoints);
        // Extra bytes at the end of an endpoint (a newer writer's endpoint field) are skipped as well.
        // (endpoint length 0x11 -> 0x12, and one byte 0x55 after its filtering byte)
        var longerEndpoint = GoldenUnsigned
            .Replace("101106c0a80114", "101206c0a80114", StringComparison.Ordinal)
            .Replace("0202000220", "020200025520", StringComparison.Ordinal);
        byte[] record2 = [.. Convert.FromHexString(longerEndpoint), .. key.Sign(AddressRecordReader.SignedBytes(Convert.FromHexString(longerEndpoint)))];
        Assert.True(NodeAddress.TryFromRecord(record2, out var address2, out error), error.ToString());
        Assert.Equal(40001, Assert.Single(address2.Endpoints).MappedPort);
    }

    [Fact]
    public void An_unknown_major_version_is_refused_by_name()
    {
        using var key = GoldenAddress.Key();
        var unsigned = Convert.FromHexString("20" + GoldenUnsigned[2..]);
        byte[] record = [.. unsigned, .. key.Sign(AddressRecordReader.SignedBytes(unsigned))];
        Assert.False(NodeAddress.TryFromRecord(record, out _, out var error));
        Assert.Equal(AddressError.UnsupportedVersion, error);
        Assert.False(NodeAddress.TryParse("burrow2" + GoldenText[7..], out _, out error));
        Assert.Equal(AddressError.UnsupportedVersion, error);
    }

    [Theory]
    [InlineData("", AddressError.BadLength)]
    [InlineData("hello", AddressError.BadPrefix)]
    [InlineData("burrow", AddressError.BadPrefix)]
    [InlineData("burrow1", AddressError.Truncated)]
    [InlineData("burrow10OIl", AddressError.BadCharacter)]
    [InlineData("burrow1zzzzzzzzzzzz", AddressError.BadChecksum)]
    public void Malformed_text_is_refused_with_the_reason(string text, AddressError expected)
    {
        Assert.False(NodeAddress.TryParse(text, out _, out var error));
        Assert.Equal(expected, error);
        var thrown = Assert.Throws<AddressFormatException>(() => NodeAddress.Parse(text, DateTimeOffset.UtcNow));
        Assert.Equal(expected, thrown.Reason);
        Assert.Equal("bad_address", thrown.Code);
    }

    [Fact]
    public void A_character_typo_is_caught_by_the_checksum()
    {
        var typo = GoldenText[..50] + (GoldenText[50] == 'a' ? 'b' : 'a') + GoldenText[51..];
        Assert.False(NodeAddress.TryParse(typo, out _, out var error));
        Assert.Equal(AddressError.BadChecksum, error);
    }

    [Fact]
    public void Validity_period_is_checked_with_skew()
    {
        Assert.True(NodeAddress.TryParse(GoldenText, out var address, out _));
        Assert.Equal(AddressError.None, address.CheckValidity(GoldenAddress.IssuedAt.AddHours(1)));
        Assert.Equal(AddressError.None, address.CheckValidity(GoldenAddress.IssuedAt.AddMinutes(-4)));
        Assert.Equal(AddressError.NotYetValid, address.CheckValidity(GoldenAddress.IssuedAt.AddMinutes(-6)));
        Assert.Equal(AddressError.Expired, address.CheckValidity(GoldenAddress.IssuedAt.AddHours(25)));
        var expired = Assert.Throws<AddressFormatException>(() => NodeAddress.Parse(GoldenText, GoldenAddress.IssuedAt.AddDays(2)));
        Assert.Equal(AddressError.Expired, expired.Reason);
    }
}
