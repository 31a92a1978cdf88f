using System.Net;
using Burrow.Addressing;
using Burrow.Connect;
using Burrow.Connect.Punch;
using Burrow.Connect.Signals;
using Burrow.Identity;
using Burrow.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Burrow.Tests.Connect;

/// <summary>Both halves of a hole punch on loopback, signaling through an in-memory rendezvous.</summary>
[Collection(typeof(PunchCollection))]
public sealed class PunchStrategyTests : IDisposable
{
    private readonly NodeIdentity _alice = NodeIdentity.Create();
    private readonly NodeIdentity _bob = NodeIdentity.Create();
    private readonly TlsCredentials _aliceTls;
    private readonly TlsCredentials _bobTls;
    private readonly PunchScheduler _scheduler = new();

    public PunchStrategyTests()
    {
        _aliceTls = new TlsCredentials(_alice, TimeProvider.System);
        _bobTls = new TlsCredentials(_bob, TimeProvider.System);
    }

    public void Dispose()
    {
        _scheduler.Dispose();
        _aliceTls.Dispose();
        _bobTls.Dispose();
        _alice.Dispose();
        _bob.Dispose();
    }

    private static NodeAddress AddressOf(NodeIdentity identity) => NodeAddress.Issue(identity, new NodeAddressContent
    {
        Endpoints = [new AddressEndpoint { LanAddress = IPAddress.Loopback }], // not listening: only a punch can reach it
        Rendezvous = [InMemoryRendezvous.Server],
        IssuedAt = DateTimeOffset.UtcNow,
    });

    [Fact(Timeout = 60_000)]
    public async Task Dialer_and_peer_punch_at_the_agreed_instant_and_both_hold_an_authenticated_punch_connection()
    {
        var ct = TestContext.Current.CancellationToken;
        var hub = new InMemoryRendezvous();
        var (outcome, delivered) = await PunchThroughAsync(hub, ct);
        Assert.True(outcome.Succeeded, outcome.Failure);
        await using var outbound = outcome.Connection!;
        await using var inbound = await delivered.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal("punch", outbound.Strategy);
        Assert.Equal("punch", inbound.Strategy);
        Assert.Equal(_bob.NodeId, outbound.RemoteId);
        Assert.Equal(_alice.NodeId, inbound.RemoteId);
        Assert.True(outbound.IsInitiator);
        Assert.False(inbound.IsInitiator);
        await outbound.Stream.WriteAsync("over the punch"u8.ToArray(), ct);
        var buffer = new byte[14];
        await inbound.Stream.ReadExactlyAsync(buffer, ct);
        Assert.Equal("over the punch"u8.ToArray(), buffer);
        Assert.Equal([PunchOffer.Kind, PunchAnswer.Kind], hub.Kinds);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_rendezvous_that_rewrites_the_answer_gets_no_connection_made()
    {
        var ct = TestContext.Current.CancellationToken;
        using var mallory = NodeIdentity.Create();
        // The lying rendezvous re-signs Bob's answer with another key (aiming Alice at its own endpoints would need that).
        var hub = new InMemoryRendezvous(payload => SignedSignal.KindOf(payload.Span) == PunchAnswer.Kind
            ? (byte[])[.. payload.Span[..^NodeIdentity.SignatureSize], .. mallory.Sign([.. "burrow/signal/v1\0"u8, .. payload.Span[..^NodeIdentity.SignatureSize]])]
            : payload);
        var (outcome, delivered) = await PunchThroughAsync(hub, ct);
        Assert.False(outcome.Succeeded);
        Assert.Contains("BadSignature", outcome.Failure);
        Assert.False(delivered.IsCompletedSuccessfully);
    }

    private async Task<(AttemptOutcome Outcome, Task<PeerConnection> Delivered)> PunchThroughAsync(InMemoryRendezvous hub, CancellationToken ct)
    {
        var aliceAddress = AddressOf(_alice);
        var bobAddress = AddressOf(_bob);
        var answers = new PunchAnswers();
        var delivered = new TaskCompletionSource<PeerConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        var responder = new PunchResponder(_bobTls, () => bobAddress, new ConnectOptions(), _scheduler, null, NullLogger.Instance,
            connection => { delivered.TrySetResult(connection); return Task.CompletedTask; });
        var aliceChannel = hub.Join(_alice.NodeId, (_, _, payload) => answers.Deliver(payload, System.Diagnostics.Stopwatch.GetTimestamp()));
        hub.Join(_bob.NodeId, (channel, source, payload) => _ = responder.HandleAsync(channel, source, payload, System.Diagnostics.Stopwatch.GetTimestamp(), ct));
        var strategy = new PunchStrategy([aliceChannel], answers, _scheduler);
        var context = new ConnectContext(_aliceTls, aliceAddress, bobAddress, new ConnectOptions(), TimeProvider.System, NullLogger.Instance);
        return (await strategy.TryConnectAsync(context, ct), delivered.Task);
    }
}
