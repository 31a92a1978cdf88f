using System.Net.Sockets;
using Burrow.Identity;
using Burrow.Transport;

namespace Burrow.Tests.Transport;

public sealed class UpgradeTagTests
{
    private static readonly byte[] Token = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];

    [Fact]
    public void The_tag_of_a_relay_token_is_the_first_128_bits_of_its_hmac_under_the_upgrade_label()
    {
        // HMAC-SHA256(key "burrow relay upgrade v1", message 00 01 … 1f), first 16 bytes (computed apart, with Python's hmac).
        var tag = UpgradeTag.FromRelayToken(Token);
        Assert.Equal("28dded61d333522c2ae03d7034b6cdf4.upgrade.burrow", tag.ServerName);
        Assert.Equal(tag, UpgradeTag.FromRelayToken([.. Token]));
        var other = Token.ToArray();
        other[31] ^= 1;
        Assert.NotEqual(tag, UpgradeTag.FromRelayToken(other));
    }

    [Fact]
    public void A_server_name_reads_back_as_its_tag_and_any_other_name_as_none()
    {
        var tag = UpgradeTag.FromRelayToken(Token);
        Assert.True(UpgradeTag.TryParse(tag.ServerName, out var read));
        Assert.Equal(tag, read);
        using var key = NodeIdentity.Create();
        string?[] others =
        [
            null, "", "burrow", key.NodeId.ToString(), "upgrade.burrow", tag.ServerName.ToUpperInvariant(),
            tag.ServerName[1..], "g" + tag.ServerName[1..], tag.ServerName + ".", "x" + tag.ServerName,
        ];
        foreach (var name in others)
        {
            Assert.False(UpgradeTag.TryParse(name, out var none), name);
            Assert.Null(none);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task The_tls_server_learns_the_tag_the_client_sent_and_an_ordinary_handshake_carries_none()
    {
        var ct = TestContext.Current.CancellationToken;
        using NodeIdentity alice = NodeIdentity.Create(), bob = NodeIdentity.Create();
        using TlsCredentials aliceTls = new(alice, TimeProvider.System), bobTls = new(bob, TimeProvider.System);
        foreach (var sent in new UpgradeTag?[] { UpgradeTag.FromRelayToken(Token), null })
        {
            var (client, accepted) = await SecureStreamTests.LoopbackPairAsync(ct);
            using var _c = client;
            using var _a = accepted;
            var clientSide = PeerHandshake.AuthenticateAsync(new NetworkStream(client), aliceTls, TlsRole.Client, bob.NodeId, sent, ct);
            var (serverStream, seen) = await PeerHandshake.AuthenticateAsync(new NetworkStream(accepted), bobTls, TlsRole.Server, null, ct);
            await using var server = serverStream;
            await using var _s = (await clientSide).Stream;
            Assert.Equal(alice.NodeId, seen);
            Assert.Equal(sent, UpgradeTag.TryParse(server.TargetHostName, out var got) ? got : null);
        }
    }
}
