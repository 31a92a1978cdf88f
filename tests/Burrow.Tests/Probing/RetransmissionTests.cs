using Burrow.Probing.Stun;

namespace Burrow.Tests.Probing;

public class RetransmissionTests
{
    [Fact]
    public void Rfc8489_default_schedule_is_0_500_1500_3500_7500_15500_31500_and_gives_up_at_39500()
    {
        var schedule = StunRetransmission.Default;
        Assert.Equal([0, 500, 1500, 3500, 7500, 15500, 31500], schedule.SendTimes().Select(t => t.TotalMilliseconds));
        Assert.Equal(39500, schedule.GiveUpAfter.TotalMilliseconds);
    }

    [Fact]
    public void A_measured_rto_scales_the_schedule()
    {
        var schedule = StunRetransmission.Default with { InitialRto = TimeSpan.FromMilliseconds(25), MaxTransmissions = 3, FinalWaitFactor = 4 };
        Assert.Equal([0, 25, 75], schedule.SendTimes().Select(t => t.TotalMilliseconds));
        Assert.Equal(175, schedule.GiveUpAfter.TotalMilliseconds);
    }
}
