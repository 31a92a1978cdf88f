using Burrow.Cli.Transfer;

namespace Burrow.Tests.Cli;

/// <summary>What a sender may write on a relay: the relay's limit less a margin, less the overhead of every TLS record, byte for byte.</summary>
public sealed class RelayBudgetTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1 + 22)]
    [InlineData(16_384, 16_384 + 22)]
    [InlineData(16_385, 16_385 + 2 * 22)]
    [InlineData(131_072, 131_072 + 8 * 22)]
    public void A_write_costs_its_data_and_22_bytes_for_each_record_it_starts(long data, long wire) =>
        Assert.Equal(wire, RelayBudget.WireBytes(data));

    [Theory]
    [InlineData(-5, 0)]
    [InlineData(0, 0)]
    [InlineData(22, 0)]
    [InlineData(23, 1)]
    [InlineData(16_406, 16_384)]
    [InlineData(16_407, 16_384)]
    [InlineData(16_428, 16_384)]
    [InlineData(16_429, 16_385)]
    [InlineData(131_248, 131_072)]
    public void The_data_within_so_many_wire_bytes_is_what_costs_no_more(long wire, long data) =>
        Assert.Equal(data, RelayBudget.Within(wire));

    [Theory]
    [InlineData(0, 0)]
    [InlineData(64 * 1024, 0)]
    [InlineData(64 * 1024 + 23, 1)]
    [InlineData(400_000, 334_002)]
    [InlineData(64L * 1024 * 1024, 66_953_414)]
    public void The_budget_is_the_limit_less_64_KiB_less_the_record_overhead(long maxBytes, long budget)
    {
        Assert.Equal(budget, RelayBudget.Of(maxBytes));
        Assert.Equal(budget, new RelayBudget(maxBytes).Total);
    }

    [Fact]
    public void Within_is_the_most_data_whose_cost_fits()
    {
        for (long wire = 0; wire < 3 * 16_406 + 100; wire++)
        {
            var data = RelayBudget.Within(wire);
            Assert.True(RelayBudget.WireBytes(data) <= wire, $"{data} bytes cost more than {wire}");
            Assert.True(RelayBudget.WireBytes(data + 1) > wire, $"{data + 1} bytes still fit in {wire}");
        }
    }

    [Fact]
    public void Writes_are_charged_until_the_budget_is_spent_and_the_last_one_is_cut_to_fit()
    {
        var budget = new RelayBudget(64 * 1024 + 2 * 16_406 + 100);

        Assert.Equal(2 * 16_384 + 78, budget.Take(131_072));
        Assert.Equal(0, budget.Take(10));
        Assert.Equal(2 * 16_384 + 78, budget.Written);
        Assert.Equal(budget.Total, budget.Written);
    }

    [Fact]
    public void Small_writes_each_pay_for_their_record()
    {
        var budget = new RelayBudget(64 * 1024 + 100);

        Assert.Equal(10, budget.Take(10)); // 32 on the wire
        Assert.Equal(46, budget.Take(100)); // 68: all that is left
        Assert.Equal(0, budget.Take(1));
        Assert.Equal(56, budget.Written);
        Assert.True(budget.Written < budget.Total);
    }

    [Fact]
    public void A_relay_whose_limit_is_within_the_margin_carries_no_file_data() =>
        Assert.Equal(0, new RelayBudget(1000).Take(1));

    [Theory]
    [InlineData(30, -1, 30)] // no idle limit: as long as wanted
    [InlineData(30, 60, 30)]
    [InlineData(30, 61, 30)]
    [InlineData(30, 40, 20)] // at most half the idle limit
    [InlineData(30, 1, 0.5)]
    public void The_sender_waits_for_the_direct_connection_at_most_half_the_relays_idle_limit(double wanted, double maxIdle, double expected) =>
        Assert.Equal(TimeSpan.FromSeconds(expected),
            TransferLink.WaitWithin(TimeSpan.FromSeconds(wanted), maxIdle < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(maxIdle)));
}
