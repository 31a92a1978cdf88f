using Burrow.Rendezvous.Datagram;
using Microsoft.Extensions.Time.Testing;

namespace Burrow.Tests.Rendezvous.Datagram;

/// <summary>Resending until acknowledged, on a fake clock.</summary>
public sealed class RetransmitterTests
{
    [Fact]
    public void A_packet_is_resent_with_doubling_waits_until_acknowledged()
    {
        var time = new FakeTimeProvider();
        var sent = new List<byte[]>();
        var gaveUp = 0;
        using var retransmitter = new Retransmitter(time, sent.Add, () => gaveUp++, capacity: 4);
        retransmitter.SetRoundTrip(TimeSpan.FromMilliseconds(100)); // first wait: 150 ms and the acknowledgement delay
        var first = TimeSpan.FromMilliseconds(150) + DelayedAcks.Delay;
        Assert.Equal(first, retransmitter.FirstWait);
        Assert.True(retransmitter.TrySend(() => (1, [1])));
        Assert.Single(sent);
        time.Advance(first - TimeSpan.FromMilliseconds(1));
        Assert.Single(sent);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, sent.Count);
        time.Advance((2 * first) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, sent.Count);
        time.Advance(TimeSpan.FromMilliseconds(1)); // then twice as long
        Assert.Equal(3, sent.Count);
        retransmitter.Acknowledge(1);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(3, sent.Count);
        Assert.Equal(0, gaveUp);
        Assert.Equal(0, retransmitter.Count);
    }

    [Fact]
    public void A_cumulative_acknowledgement_stops_every_packet_up_to_it()
    {
        var time = new FakeTimeProvider();
        var sent = new List<byte[]>();
        using var retransmitter = new Retransmitter(time, sent.Add, () => { }, capacity: 8);
        for (byte i = 1; i <= 4; i++)
        {
            Assert.True(retransmitter.TrySend(() => (i, [i])));
        }
        retransmitter.AcknowledgeUpTo(3);
        Assert.Equal(1, retransmitter.Count);
        sent.Clear();
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([[4]], sent);
    }

    [Fact]
    public void It_gives_up_after_its_last_send_and_refuses_more_than_its_capacity_without_sealing()
    {
        var time = new FakeTimeProvider();
        var sent = new List<byte[]>();
        var gaveUp = 0;
        using var retransmitter = new Retransmitter(time, sent.Add, () => gaveUp++, capacity: 2);
        retransmitter.SetRoundTrip(TimeSpan.Zero); // at least 40 ms
        Assert.True(retransmitter.TrySend(() => (1, [1])));
        Assert.True(retransmitter.TrySend(() => (2, [2])));
        var sealedWhenFull = false;
        Assert.False(retransmitter.TrySend(() => { sealedWhenFull = true; return (3, [3]); }));
        Assert.False(sealedWhenFull); // a refused message takes no number
        retransmitter.Acknowledge(2);
        for (var i = 0; i < 20; i++)
        {
            time.Advance(TimeSpan.FromSeconds(2));
        }
        Assert.Equal(Retransmitter.MaxAttempts, sent.Count(p => p[0] == 1));
        Assert.Equal(1, gaveUp);
        Assert.Equal(0, retransmitter.Count);
    }
}
