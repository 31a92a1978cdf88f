using Burrow.Rendezvous.Datagram;
using Microsoft.Extensions.Time.Testing;

namespace Burrow.Tests.Rendezvous.Datagram;

/// <summary>Bare acknowledgements held back for an answer to carry them, on a fake clock.</summary>
public sealed class DelayedAcksTests
{
    [Fact]
    public void An_owed_ack_goes_after_the_delay_once_however_often_it_was_owed_and_not_if_an_answer_carried_it()
    {
        var time = new FakeTimeProvider();
        using var acks = new DelayedAcks(time);
        var owing = new Owner { Owed = true };
        var answered = new Owner { Owed = true };
        acks.Owe(owing);
        acks.Owe(owing);
        acks.Owe(answered);
        answered.Owed = false; // a message went back meanwhile, carrying the acknowledgement
        time.Advance(DelayedAcks.Delay - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, owing.Sent);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, owing.Sent);
        Assert.Equal(0, answered.Sent);

        owing.Owed = true; // owed again later: the timer is armed again
        acks.Owe(owing);
        time.Advance(DelayedAcks.Delay);
        Assert.Equal(2, owing.Sent);
    }

    private sealed class Owner : IAckOwner
    {
        private int _queued;

        public bool Owed { get; set; }

        public int Sent { get; private set; }

        public bool TryMarkQueued() => Interlocked.CompareExchange(ref _queued, 1, 0) == 0;

        public void FlushAck()
        {
            _queued = 0;
            if (Owed)
            {
                Sent++;
                Owed = false;
            }
        }
    }
}
