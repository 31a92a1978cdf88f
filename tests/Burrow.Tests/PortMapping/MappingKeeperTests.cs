using System.Net;
using Burrow.Addressing;
using Burrow.PortMapping;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Burrow.Tests.PortMapping;

/// <summary>The keeper's lifecycle on a fake clock against a fake NAT-PMP gateway on loopback.</summary>
public class MappingKeeperTests
{
    /// <summary>Waits (really) for <paramref name="condition"/>, moving the fake clock by <paramref name="step"/> each
    /// time (1 ms by default: enough for timers of exchanges in flight; more to reach the keeper's next wake-up).</summary>
    private static async Task EventuallyAsync(Func<bool> condition, FakeTimeProvider time, string what, TimeSpan? step = null)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
            time.Advance(step ?? TimeSpan.FromMilliseconds(1));
        }
        Assert.True(condition(), what);
    }

    private static (MappingKeeper Keeper, FakeTimeProvider Time) Start(FakePmpGateway gateway, TimeSpan lifetime)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        var options = new PortMapOptions
        {
            Gateway = IPAddress.Loopback,
            NatPmpPort = gateway.Port,
            SsdpTargets = [],
            Methods = [MappingMethod.NatPmp],
            Lifetime = lifetime,
            TimeProvider = time,
        };
        var keeper = new MappingKeeper(new GatewayMappers(IPAddress.Loopback, options, NullLogger.Instance),
            new PortMapRequest(PortMapProtocol.Tcp, 4400, lifetime), options, NullLogger.Instance);
        keeper.Start();
        return (keeper, time);
    }

    [Fact]
    public async Task Renews_before_half_the_lease_and_deletes_on_dispose()
    {
        await using var gateway = new FakePmpGateway(pcp: false);
        var (keeper, time) = Start(gateway, TimeSpan.FromSeconds(100));
        await EventuallyAsync(() => keeper.Mapping is not null, time, "mapped");
        var first = keeper.Mapping!;

        time.Advance(TimeSpan.FromSeconds(46)); // 45 % of 100 s
        await EventuallyAsync(() => keeper.Mapping?.ObtainedAt > first.ObtainedAt, time, "renewed before half the lease");
        Assert.InRange(keeper.Mapping!.ObtainedAt - first.ObtainedAt, TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(50));
        Assert.Equal(first.External, keeper.Mapping.External);

        await keeper.DisposeAsync();
        Assert.Empty(gateway.Table);
    }

    [Fact]
    public async Task A_gateway_that_rebooted_epoch_back_or_changed_its_address_is_mapped_again()
    {
        await using var gateway = new FakePmpGateway(pcp: false);
        var (keeper, time) = Start(gateway, TimeSpan.FromHours(2));
        var changes = new List<Burrow.PortMapping.PortMapping?>();
        keeper.Changed += changes.Add;
        await EventuallyAsync(() => keeper.Mapping is not null, time, "mapped");

        lock (gateway.Table)
        {
            gateway.Table.Clear(); // rebooted: mappings lost, epoch restarts
            gateway.Epoch = 3;
        }
        // The periodic check (every 2 min) sees the epoch went back; the renewal (at 54 min) is not reached.
        await EventuallyAsync(() => gateway.Table.ContainsKey(("tcp", 4400)), time, "re-mapped after the epoch went back", TimeSpan.FromSeconds(10));

        lock (gateway.Table)
        {
            gateway.External = IPAddress.Parse("198.18.8.8");
            gateway.Epoch = 3 + 600; // moving on normally
        }
        await EventuallyAsync(() => keeper.Mapping?.External.Address.Equals(IPAddress.Parse("198.18.8.8")) == true, time, "the new public address is advertised", TimeSpan.FromSeconds(10));
        Assert.Equal(IPAddress.Parse("198.18.8.8"), changes[^1]?.External.Address);

        await keeper.DisposeAsync();
        Assert.Empty(gateway.Table);
    }
}
