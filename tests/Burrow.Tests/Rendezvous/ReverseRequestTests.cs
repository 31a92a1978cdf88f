using System.Net;
using Burrow.Addressing;
using Burrow.Connect.Reverse;
using Burrow.Identity;

namespace Burrow.Tests.Rendezvous;

/// <summary>The signed reverse-connect request: only an untouched request, from its signer, for us, recent and new, is accepted.</summary>
public sealed class ReverseRequestTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly NodeIdentity _alice = NodeIdentity.Create();
    private readonly NodeIdentity _bob = NodeIdentity.Create();
    private readonly NodeIdentity _carol = NodeIdentity.Create();
    private readonly byte[] _nonce = [.. Enumerable.Range(1, ReverseRequest.NonceSize).Select(i => (byte)i)];

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
        _carol.Dispose();
    }

    internal static NodeAddress AddressOf(NodeIdentity key, DateTimeOffset now, int port) => NodeAddress.Issue(key, new NodeAddressContent
    {
        Endpoints = [new AddressEndpoint { LanAddress = IPAddress.Loopback, ListenPort = port }],
        IssuedAt = now,
    });

    private byte[] Request() => ReverseRequest.Create(_alice, AddressOf(_alice, Now, 4000), _bob.NodeId, _nonce, Now);

    [Fact]
    public void An_untouched_request_verifies_and_carries_the_requesters_address()
    {
        var address = AddressOf(_alice, Now, 4000);
        var payload = ReverseRequest.Create(_alice, address, _bob.NodeId, _nonce, Now);
        Assert.Equal(ReverseRequest.Kind, payload[0]);
        Assert.Equal(1 + 32 + 16 + 8 + 2 + address.Record.Length + 64, payload.Length);
        Assert.True(ReverseRequest.TryRead(payload, _bob.NodeId, _alice.NodeId, Now.AddSeconds(3), out var request, out var error), error.ToString());
        Assert.Equal(address, request.Requester);
        Assert.Equal(_nonce, request.Nonce.ToArray());
        Assert.Equal(Now, request.IssuedAt);
    }

    [Fact]
    public void Changing_any_byte_is_refused()
    {
        var payload = Request();
        for (var i = 0; i < payload.Length; i++)
        {
            var tampered = (byte[])payload.Clone();
            tampered[i] ^= 0x01;
            Assert.False(ReverseRequest.TryRead(tampered, _bob.NodeId, _alice.NodeId, Now, out _, out var error), $"byte {i}");
            Assert.NotEqual(ReverseRequestError.None, error);
        }
        for (var length = 0; length < payload.Length; length++)
        {
            Assert.False(ReverseRequest.TryRead(payload.AsSpan(0, length), _bob.NodeId, _alice.NodeId, Now, out _, out _));
        }
    }

    [Fact]
    public void Swapping_in_another_nodes_signed_address_breaks_the_signature()
    {
        var payload = Request();
        var alices = AddressOf(_alice, Now, 4000).Record.ToArray();
        var carols = AddressOf(_carol, Now, 4000).Record.ToArray();
        Assert.Equal(alices.Length, carols.Length);
        var swapped = (byte[])payload.Clone();
        carols.CopyTo(swapped, 1 + 32 + 16 + 8 + 2);
        Assert.False(ReverseRequest.TryRead(swapped, _bob.NodeId, _carol.NodeId, Now, out _, out var error));
        Assert.Equal(ReverseRequestError.BadSignature, error);
    }

    [Fact]
    public void Wrong_target_wrong_sender_stale_and_expired_are_each_refused()
    {
        var payload = Request();
        Assert.False(ReverseRequest.TryRead(payload, _carol.NodeId, _alice.NodeId, Now, out _, out var error));
        Assert.Equal(ReverseRequestError.WrongTarget, error);
        Assert.False(ReverseRequest.TryRead(payload, _bob.NodeId, _carol.NodeId, Now, out _, out error));
        Assert.Equal(ReverseRequestError.WrongSender, error);
        Assert.False(ReverseRequest.TryRead(payload, _bob.NodeId, _alice.NodeId, Now + ReverseRequest.MaxAge + TimeSpan.FromSeconds(1), out _, out error));
        Assert.Equal(ReverseRequestError.Stale, error);
        Assert.False(ReverseRequest.TryRead(payload, _bob.NodeId, _alice.NodeId, Now.AddDays(3), out _, out error));
        Assert.Equal(ReverseRequestError.AddressExpired, error);
    }

    [Fact]
    public void A_nonce_is_accepted_once_within_its_retention()
    {
        var cache = new NonceCache(TimeSpan.FromMinutes(4), capacity: 3);
        Assert.True(cache.TryAdd(_nonce, Now));
        Assert.False(cache.TryAdd(_nonce, Now.AddMinutes(1)));
        Assert.True(cache.TryAdd(_nonce, Now.AddMinutes(5))); // forgotten after the retention (the request is stale by then anyway)
        for (var i = 0; i < 3; i++)
        {
            Assert.True(cache.TryAdd([(byte)i], Now.AddMinutes(5)));
        }
        Assert.True(cache.TryAdd(_nonce, Now.AddMinutes(5))); // bounded: the oldest went first
    }
}
