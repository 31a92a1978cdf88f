using Burrow.Addressing;
using Burrow.Codecs;
using Burrow.Identity;
using CsCheck;

namespace Burrow.Tests.Addressing;

/// <summary>Encode→decode round-trips; random and mutated input only ever yields a typed error.</summary>
public class AddressPropertyTests
{
    private static readonly NodeIdentity Key = GoldenAddress.Key();
    private static readonly NodeAddress Sample = NodeAddress.Issue(Key, GoldenAddress.Content);

    [Fact]
    public void Every_content_round_trips_through_text()
    {
        AddressGenerators.Content.Sample(content =>
        {
            var issued = NodeAddress.Issue(Key, content);
            Assert.True(NodeAddress.TryParse(issued.ToString(), out var parsed, out var error), error.ToString());
            AssertSameContent(content, parsed.Content);
            Assert.Equal(Key.NodeId, parsed.NodeId);
            Assert.Equal(issued, parsed);
        }, iter: 300);
    }

    [Fact]
    public void Random_text_only_ever_yields_a_typed_error()
    {
        Gen.Char["burow123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0OIl +/-"].Array[0, 400]
            .Select(c => new string(c))
            .Sample(text =>
            {
                Assert.False(NodeAddress.TryParse(text, out _, out var error));
                Assert.NotEqual(AddressError.None, error);
            }, iter: 2000);
        Gen.String.Sample(text => Assert.False(NodeAddress.TryParse(text, out _, out _)), iter: 2000);
    }

    [Fact]
    public void Random_records_with_a_valid_checksum_only_ever_yield_a_typed_error()
    {
        // Past the checksum, so the record decoder itself is exercised on garbage.
        Gen.Byte.Array[0, 600].Sample(bytes =>
        {
            Assert.False(NodeAddress.TryParse(AddressText.Encode(bytes), out _, out var error));
            Assert.NotEqual(AddressError.None, error);
        }, iter: 3000);
    }

    [Fact]
    public void Flipping_any_byte_of_a_record_is_refused()
    {
        var record = Sample.Record.ToArray();
        for (var i = 0; i < record.Length; i++)
        {
            foreach (var mask in new byte[] { 0x01, 0x80, 0xFF })
            {
                var tampered = (byte[])record.Clone();
                tampered[i] ^= mask;
                // Re-checksummed, so only the signature (or the structure) can catch it.
                Assert.False(NodeAddress.TryParse(AddressText.Encode(tampered), out _, out var error), $"byte {i} ^ {mask:x2} accepted");
                Assert.NotEqual(AddressError.None, error);
            }
        }
    }

    [Fact]
    public void Mutated_records_only_ever_yield_a_typed_error()
    {
        var record = Sample.Record.ToArray();
        Gen.Select(Gen.Int[0, record.Length - 1], Gen.Byte, Gen.Int[0, 3], Gen.Int[0, 20]).Sample((position, value, kind, count) =>
        {
            var mutated = kind switch
            {
                0 => [.. record[..position], value, .. record[(position + 1)..]],          // replace
                1 => [.. record[..position], .. record[Math.Min(record.Length, position + count)..]], // delete
                2 => [.. record[..position], .. Enumerable.Repeat(value, count), .. record[position..]], // insert
                _ => record[..position],                                                     // truncate
            };
            var ok = NodeAddress.TryParse(AddressText.Encode(mutated), out _, out var error);
            Assert.True(!ok || mutated.AsSpan().SequenceEqual(record), $"mutation {kind} at {position} accepted");
            Assert.True(ok || error != AddressError.None);
        }, iter: 3000);
    }

    [Fact]
    public void Oversized_text_is_refused_without_decoding()
    {
        Assert.False(NodeAddress.TryParse("burrow1" + new string('z', 1_000_000), out _, out var error));
        Assert.Equal(AddressError.BadLength, error);
    }

    [Fact]
    public void Base58_round_trips_including_leading_zeros()
    {
        Gen.Byte.Array[0, 300].Sample(bytes =>
        {
            Assert.True(Base58.TryDecode(Base58.Encode(bytes), out var back));
            Assert.Equal(bytes, back);
        }, iter: 500);
    }

    [Fact]
    public void Base32_round_trips()
    {
        Gen.Byte.Array[0, 100].Sample(bytes =>
        {
            Assert.True(Base32.TryDecode(Base32.Encode(bytes), out var back));
            Assert.Equal(bytes, back);
            Assert.True(Base32.TryDecode(Base32.Encode(bytes).ToUpperInvariant(), out back));
            Assert.Equal(bytes, back);
        }, iter: 500);
    }

    private static void AssertSameContent(NodeAddressContent expected, NodeAddressContent actual)
    {
        Assert.Equal(expected.IssuedAt, actual.IssuedAt);
        Assert.Equal(expected.Lifetime, actual.Lifetime);
        Assert.Equal(expected.Endpoints, actual.Endpoints);
        Assert.Equal(expected.Rendezvous, actual.Rendezvous);
        Assert.Equal(expected.Relays, actual.Relays);
    }
}
