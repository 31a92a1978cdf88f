using System.Net;
using Burrow.Addressing;
using Burrow.Connect.Punch;
using Burrow.Connect.Signals;
using Burrow.Identity;
using CsCheck;

namespace Burrow.Tests.Connect;

public class PunchSignalTests
{
    private static readonly NodeIdentity Alice = NodeIdentity.Create();
    private static readonly NodeIdentity Bob = NodeIdentity.Create();
    private static readonly NodeIdentity Mallory = NodeIdentity.Create();
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly byte[] Nonce = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
    private static readonly IPEndPoint[] AliceCandidates = [IPEndPoint.Parse("198.18.1.1:40001"), IPEndPoint.Parse("192.168.1.10:40001"), IPEndPoint.Parse("[2001:db8::1]:40001")];

    private static NodeAddress AddressOf(NodeIdentity identity) => NodeAddress.Issue(identity, new NodeAddressContent
    {
        Endpoints = [new AddressEndpoint { LanAddress = IPAddress.Parse("192.168.1.10"), ListenPort = 5000 }],
        Rendezvous = [new SignalEndpoint("198.18.0.10", 7000)],
        IssuedAt = Now,
    });

    private static byte[] Offer(NodeIdentity signer, NodeAddress address) =>
        PunchOffer.Create(signer, address, Bob.NodeId, Nonce, Now, TimeSpan.FromMilliseconds(48.5), AliceCandidates);

    [Fact]
    public void An_offer_round_trips_and_is_checked_against_the_key_of_the_address_inside()
    {
        var payload = Offer(Alice, AddressOf(Alice));
        Assert.Equal(PunchOffer.Kind, SignedSignal.KindOf(payload));
        Assert.True(PunchOffer.TryRead(payload, Bob.NodeId, Alice.NodeId, Now, out var offer, out var error), error.ToString());
        Assert.Equal(Alice.NodeId, offer.Dialer.NodeId);
        Assert.Equal(TimeSpan.FromMilliseconds(48.5), offer.RoundTrip);
        Assert.Equal(AliceCandidates, offer.Candidates);
        Assert.Equal(Nonce, offer.Envelope.Nonce.ToArray());
    }

    [Fact]
    public void A_rendezvous_cannot_redirect_swap_or_replay_an_offer()
    {
        var payload = Offer(Alice, AddressOf(Alice));
        Assert.False(PunchOffer.TryRead(payload, Mallory.NodeId, Alice.NodeId, Now, out _, out var wrongTarget));
        Assert.Equal(SignalError.WrongTarget, wrongTarget);
        Assert.False(PunchOffer.TryRead(payload, Bob.NodeId, Mallory.NodeId, Now, out _, out var wrongSender));
        Assert.Equal(SignalError.BadSignature, wrongSender);
        Assert.False(PunchOffer.TryRead(payload, Bob.NodeId, Alice.NodeId, Now + TimeSpan.FromMinutes(3), out _, out var stale));
        Assert.Equal(SignalError.Stale, stale);
        // Mallory re-signs Alice's offer (its context pinned here) with her own key: Alice's address inside gives her away.
        var unsigned = payload[..^NodeIdentity.SignatureSize];
        byte[] forged = [.. unsigned, .. Mallory.Sign([.. "burrow/signal/v1\0"u8, .. unsigned])];
        Assert.False(PunchOffer.TryRead(forged, Bob.NodeId, Alice.NodeId, Now, out _, out var swapped));
        Assert.Equal(SignalError.BadSignature, swapped);
        byte[] genuine = [.. unsigned, .. Alice.Sign([.. "burrow/signal/v1\0"u8, .. unsigned])];
        Assert.True(PunchOffer.TryRead(genuine, Bob.NodeId, Alice.NodeId, Now, out _, out _));
    }

    [Fact]
    public void Every_flipped_byte_of_an_offer_is_refused_without_throwing()
    {
        var payload = Offer(Alice, AddressOf(Alice));
        for (var i = 0; i < payload.Length; i++)
        {
            var tampered = (byte[])payload.Clone();
            tampered[i] ^= 0x01;
            Assert.False(PunchOffer.TryRead(tampered, Bob.NodeId, Alice.NodeId, Now, out _, out var error), $"byte {i}");
            Assert.NotEqual(SignalError.None, error);
        }
    }

    [Fact]
    public void An_answer_pins_its_layout_and_is_accepted_only_from_the_peer_for_this_offer()
    {
        var instant = DateTimeOffset.UnixEpoch + TimeSpan.FromMicroseconds(0x0001020304050607);
        var issued = DateTimeOffset.UnixEpoch + TimeSpan.FromMicroseconds(0x0000000100000002);
        var payload = PunchAnswer.Create(Bob, Alice.NodeId, Nonce, issued, [IPEndPoint.Parse("198.18.1.2:40002")], instant);
        var expectedUnsigned = "04" + Convert.ToHexString(Alice.NodeId.Bytes) + Convert.ToHexString(Nonce) + "0000000100000002"
            + "0010" + "01" + "04" + "C6120102" + "9C42" + "0001020304050607";
        Assert.Equal(expectedUnsigned, Convert.ToHexString(payload.AsSpan(0, payload.Length - NodeIdentity.SignatureSize)));

        Assert.True(PunchAnswer.TryRead(payload, Bob.PublicKey, Alice.NodeId, Nonce, issued, out var answer, out var error), error.ToString());
        Assert.Equal(instant, answer.Instant);
        Assert.Equal([IPEndPoint.Parse("198.18.1.2:40002")], answer.Candidates);
        Assert.False(PunchAnswer.TryRead(payload, Mallory.PublicKey, Alice.NodeId, Nonce, issued, out _, out var forged));
        Assert.Equal(SignalError.BadSignature, forged);
        Assert.False(PunchAnswer.TryRead(payload, Bob.PublicKey, Alice.NodeId, new byte[16], issued, out _, out var otherOffer));
        Assert.Equal(SignalError.WrongTarget, otherOffer);
    }

    [Fact]
    public void Random_bytes_are_never_an_offer_or_an_answer() =>
        Gen.Byte.Array[0, 400].Sample(bytes =>
        {
            Assert.False(PunchOffer.TryRead(bytes, Bob.NodeId, Alice.NodeId, Now, out _, out _));
            Assert.False(PunchAnswer.TryRead(bytes, Bob.PublicKey, Alice.NodeId, Nonce, Now, out _, out _));
        });
}
