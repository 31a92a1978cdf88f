using System.Net;
using Burrow.Addressing;
using Burrow.Connect.Punch;
using Burrow.Identity;

namespace Burrow.Connect;

/// <summary>
/// Runs the connect plan and the punch's signal path once with throwaway keys, off the hot path, so that their
/// code is compiled before the first real connect. Without it, the first connect of a process pays for
/// just-in-time compilation: the lab measured about 20 ms answering the first punch offer, which comes straight
/// out of the margin before the agreed instant, and several ms planning at the dialer.
/// </summary>
internal static class ConnectWarmUp
{
    public static void Run(TimeProvider time, IReadOnlySet<string> strategies)
    {
        using var dialer = NodeIdentity.Create();
        using var peer = NodeIdentity.Create();
        var now = time.GetUtcNow();
        var address = NodeAddress.Issue(dialer, new NodeAddressContent
        {
            Endpoints = [new AddressEndpoint { LanAddress = IPAddress.Loopback, PublicAddress = IPAddress.Loopback, ListenPort = 1, Nat = new NatBehavior(NatMapping.PortPreserving, NatFiltering.Drops) }],
            Rendezvous = [new SignalEndpoint("127.0.0.1", 1)],
            IssuedAt = now,
        });
        var peerAddress = NodeAddress.Issue(peer, new NodeAddressContent
        {
            Endpoints = [new AddressEndpoint { LanAddress = IPAddress.Loopback, PublicAddress = IPAddress.Loopback, ListenPort = 2, Nat = new NatBehavior(NatMapping.Random, NatFiltering.Resets) }],
            Rendezvous = [new SignalEndpoint("127.0.0.1", 1)],
            IssuedAt = now,
        });
        if (peerAddress.CheckValidity(now) != AddressError.None)
        {
            throw new InvalidOperationException("the connect warm-up's own address is not valid");
        }
        _ = ConnectPlanner.Plan(address, peerAddress, strategies);
        _ = DialTargets.From(peerAddress, address);
        var nonce = new byte[Signals.SignedSignal.NonceSize];
        using (var reservation = PunchSession.ReservePort())
        {
            var port = ((IPEndPoint)reservation.LocalEndPoint!).Port;
            var candidates = PunchPlanner.Candidates(address, port, null);
            var offer = PunchOffer.Create(dialer, address, peer.NodeId, nonce, now, TimeSpan.FromMilliseconds(1), candidates);
            if (!PunchOffer.TryRead(offer, peer.NodeId, dialer.NodeId, now, out var read, out var error))
            {
                throw new InvalidOperationException($"the punch warm-up's own offer was refused ({error})");
            }
            var instant = PunchPlanner.Instant(now, read.RoundTrip, read.RoundTrip);
            var answer = PunchAnswer.Create(peer, dialer.NodeId, nonce, now, read.Candidates, instant);
            if (!PunchAnswer.TryRead(answer, peer.PublicKey, dialer.NodeId, nonce, now, out var answered, out error))
            {
                throw new InvalidOperationException($"the punch warm-up's own answer was refused ({error})");
            }
            _ = PunchPlanner.ToTimestamp(answered.Instant, TimeSpan.Zero, time);
            _ = PunchPlanner.Targets(PunchPlanner.RoleOf(address, read.Dialer), read.Dialer, answered.Candidates);
        }
    }
}
