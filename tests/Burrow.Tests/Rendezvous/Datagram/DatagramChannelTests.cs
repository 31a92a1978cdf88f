using System.Security.Cryptography;
using Burrow.Identity;
using Burrow.Rendezvous.Datagram;

namespace Burrow.Tests.Rendezvous.Datagram;

/// <summary>Sealing, opening, replays and key agreement of a datagram session, without sockets.</summary>
public sealed class DatagramChannelTests
{
    private static SessionKeys Keys() => new(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32), 0x0102030405060708);

    [Fact]
    public void What_one_end_seals_the_other_opens_once_and_in_order()
    {
        var keys = Keys();
        var node = new DatagramChannel(keys, isServer: false);
        var server = new DatagramChannel(keys, isServer: true);
        var first = node.SealMessage([1, 2, 3], out var one);
        var second = node.SealMessage([4], out var two);
        Assert.Equal((1UL, 2UL), (one, two));
        Assert.Equal(DatagramPacket.DataHeaderSize + 1 + 8 + 3 + DatagramPacket.TagSize, first.Length);

        var delivered = new List<byte[]>();
        Assert.False(server.AckOwed);
        Assert.Equal(OpenResult.Accepted, server.Open(second, delivered, out var opened)); // early: waits for the first
        Assert.Equal((2UL, DatagramContent.Message, 0UL), (opened.Sequence, opened.Content, opened.Acknowledged));
        Assert.Empty(delivered);
        Assert.True(server.AckOwed);
        Assert.Equal(OpenResult.Accepted, server.Open(first, delivered, out _));
        Assert.Equal([[1, 2, 3], [4]], delivered);
        delivered.Clear();

        // Whatever the server sends next carries "received up to 2", and pays the debt.
        var answer = server.SealMessage([9], out _);
        Assert.False(server.AckOwed);
        Assert.Equal(OpenResult.Accepted, node.Open(answer, [], out var atNode));
        Assert.Equal(2UL, atNode.Acknowledged);

        Assert.Equal(OpenResult.Duplicate, server.Open(first, delivered, out var again)); // a retransmission: owed an ack again, not delivered
        Assert.Equal(1UL, again.Sequence);
        Assert.False(again.IsNew);
        Assert.True(server.AckOwed);
        Assert.Empty(delivered);
        Assert.Equal(OpenResult.Control, node.Open(server.Ack(), [], out var bare));
        Assert.Equal((DatagramContent.Ack, 2UL), (bare.Content, bare.Acknowledged));
        Assert.False(server.AckOwed);
    }

    [Fact]
    public void A_packet_cannot_be_reflected_tampered_with_or_moved_to_another_session()
    {
        var keys = Keys();
        var node = new DatagramChannel(keys, isServer: false);
        var server = new DatagramChannel(keys, isServer: true);
        var packet = node.SealMessage([1, 2, 3], out _);
        var delivered = new List<byte[]>();
        Assert.Equal(OpenResult.Invalid, node.Open(packet, delivered, out _)); // the node's own packet sent back to it

        var flipped = (byte[])packet.Clone();
        flipped[^1] ^= 1;
        Assert.Equal(OpenResult.Invalid, server.Open(flipped, delivered, out _));

        var flagged = (byte[])packet.Clone();
        flagged[DatagramPacket.DataHeaderSize - 1] = DatagramPacket.Control; // the header is authenticated too
        Assert.Equal(OpenResult.Invalid, server.Open(flagged, delivered, out _));

        var other = new DatagramChannel(keys with { Session = 9 }, isServer: true);
        Assert.Equal(OpenResult.Invalid, other.Open(packet, delivered, out _));
        Assert.Empty(delivered);
        Assert.Equal(OpenResult.Accepted, server.Open(packet, delivered, out _));
        Assert.Single(delivered);
    }

    [Fact]
    public void Control_packets_are_numbered_apart_from_messages_and_are_never_delivered()
    {
        var keys = Keys();
        var server = new DatagramChannel(keys, isServer: true);
        var node = new DatagramChannel(keys, isServer: false);
        var request = node.SealControl(DatagramContent.Request, [7], out var number);
        Assert.Equal(1UL, number);
        Assert.Equal(DatagramPacket.Control, request[DatagramPacket.DataHeaderSize - 1]);
        var delivered = new List<byte[]>();
        Assert.Equal(OpenResult.Control, server.Open(request, delivered, out var opened));
        Assert.True(opened.IsNew);
        Assert.Equal(OpenResult.Control, server.Open(request, delivered, out var repeated)); // answered again, but not new:
        Assert.False(repeated.IsNew);                                                        // it may not move the session
        Assert.Equal((1UL, DatagramContent.Request), (opened.Sequence, opened.Content));
        Assert.Equal(new byte[] { 7 }, opened.Body);
        Assert.Empty(delivered);
        Assert.False(server.AckOwed); // control packets are not acknowledged

        node.SealMessage([9], out var first); // the message space still starts at 1
        Assert.Equal(1UL, first);
    }

    [Fact]
    public void The_receiver_holds_early_messages_within_its_window_and_drops_what_is_past_it()
    {
        var receiver = new InOrderReceiver();
        var delivered = new List<byte[]>();
        Assert.Equal(InOrderReceiver.Outcome.Duplicate, receiver.Receive(0, [0], delivered));
        Assert.Equal(InOrderReceiver.Outcome.Accepted, receiver.Receive(3, [3], delivered));
        Assert.Equal(InOrderReceiver.Outcome.Duplicate, receiver.Receive(3, [3], delivered));
        Assert.Equal(InOrderReceiver.Outcome.TooEarly, receiver.Receive(1 + InOrderReceiver.Window, [9], delivered));
        Assert.Equal(InOrderReceiver.Outcome.Accepted, receiver.Receive(InOrderReceiver.Window, [8], delivered));
        Assert.Empty(delivered);
        Assert.Equal(InOrderReceiver.Outcome.Accepted, receiver.Receive(1, [1], delivered));
        Assert.Equal([[1]], delivered);
        Assert.Equal(InOrderReceiver.Outcome.Accepted, receiver.Receive(2, [2], delivered));
        Assert.Equal([[1], [2], [3]], delivered);
        Assert.Equal(InOrderReceiver.Outcome.Duplicate, receiver.Receive(2, [2], delivered));
        Assert.Equal(3UL, receiver.Delivered);
    }

    [Fact]
    public void Early_messages_held_are_capped_in_bytes()
    {
        var receiver = new InOrderReceiver();
        var delivered = new List<byte[]>();
        var big = new byte[InOrderReceiver.MaxWaitingBytes / 2];
        Assert.Equal(InOrderReceiver.Outcome.Accepted, receiver.Receive(2, big, delivered));
        Assert.Equal(InOrderReceiver.Outcome.Accepted, receiver.Receive(3, big, delivered));
        Assert.Equal(InOrderReceiver.Outcome.TooEarly, receiver.Receive(4, [1], delivered)); // full: resent later
        Assert.Equal(InOrderReceiver.Outcome.Accepted, receiver.Receive(1, [1], delivered));
        Assert.Equal(3, delivered.Count);
        Assert.Equal(InOrderReceiver.Outcome.Accepted, receiver.Receive(4, [1], delivered)); // room again
    }

    [Fact]
    public void Both_ends_derive_the_same_session_from_their_ephemeral_keys()
    {
        using var node = NodeIdentity.Create();
        using var a = DatagramKeys.NewEphemeral();
        using var b = DatagramKeys.NewEphemeral();
        var cookie = RandomNumberGenerator.GetBytes(16);
        Assert.True(DatagramKeys.TryAgree(a, DatagramKeys.PublicKey(b), out var ab));
        Assert.True(DatagramKeys.TryAgree(b, DatagramKeys.PublicKey(a), out var ba));
        var one = DatagramKeys.Derive(ab, cookie, node.NodeId);
        var two = DatagramKeys.Derive(ba, cookie, node.NodeId);
        Assert.Equal(one.NodeToServer, two.NodeToServer);
        Assert.Equal(one.ServerToNode, two.ServerToNode);
        Assert.Equal(one.Session, two.Session);
        Assert.NotEqual(one.NodeToServer, one.ServerToNode);
        using var other = NodeIdentity.Create();
        Assert.NotEqual(one.Session, DatagramKeys.Derive(ab, cookie, other.NodeId).Session); // bound to the node

        var notAPoint = new byte[33];
        notAPoint[0] = 2;
        notAPoint.AsSpan(1).Fill(0xff); // x ≥ p
        Assert.False(DatagramKeys.TryAgree(a, notAPoint, out _));
    }
}
