using Burrow.Identity;

namespace Burrow.Tests.Identity;

public class NodeKeyTests
{
    [Fact]
    public void Compressed_keys_round_trip_and_keep_the_node_id()
    {
        for (var i = 0; i < 50; i++)
        {
            using var identity = NodeIdentity.Create();
            Assert.True(NodePublicKey.TryFromCompressed(identity.PublicKey.Compressed.Span, out var back));
            Assert.Equal(identity.PublicKey, back);
            Assert.Equal(identity.NodeId, back!.NodeId);
            var signature = identity.Sign("message"u8);
            Assert.True(back.Verify("message"u8, signature));
            Assert.False(back.Verify("massage"u8, signature));
        }
    }

    [Fact]
    public void Points_off_the_curve_are_refused()
    {
        using var identity = NodeIdentity.Create();
        var bytes = identity.PublicKey.Compressed.ToArray();
        bytes[0] = 0x04; // not a compressed-point prefix
        Assert.False(NodePublicKey.TryFromCompressed(bytes, out _));
        var notOnCurve = 0;
        for (byte x = 0; x < 40; x++)
        {
            var candidate = new byte[33];
            candidate[0] = 0x02;
            candidate[32] = x;
            notOnCurve += NodePublicKey.TryFromCompressed(candidate, out _) ? 0 : 1;
        }
        Assert.InRange(notOnCurve, 5, 35); // about half of all x have no point
        Assert.False(NodePublicKey.TryFromCompressed([0x02, .. Enumerable.Repeat((byte)0xFF, 32)], out _)); // x ≥ p
    }

    [Fact]
    public void Node_id_is_the_sha256_of_the_subject_public_key_info_in_base32()
    {
        using var identity = NodeIdentity.Create();
        var expected = System.Security.Cryptography.SHA256.HashData(identity.PublicKey.SubjectPublicKeyInfo.Span);
        Assert.Equal(expected, identity.NodeId.Bytes.ToArray());
        var text = identity.NodeId.ToString();
        Assert.Equal(52, text.Length);
        Assert.Equal(text.ToLowerInvariant(), text);
        Assert.True(NodeId.TryParse(text, out var parsed));
        Assert.Equal(identity.NodeId, parsed);
        Assert.Equal(text[..12], identity.NodeId.ToShortString());
        Assert.False(NodeId.TryParse("not-an-id", out _));
    }
}
