using System.Net;
using Burrow.PortMapping;

namespace Burrow.Tests.PortMapping;

public class DefaultGatewayTests
{
    private const string Table =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        + "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
        + "eth0\t00000000\t0100A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
        + "eth0\t0000A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n";

    [Fact]
    public void The_default_route_with_the_lowest_metric_wins()
    {
        Assert.Equal(IPAddress.Parse("192.168.0.1"), DefaultGateway.Parse(Table));
    }

    [Fact]
    public void No_default_route_no_gateway()
    {
        Assert.Null(DefaultGateway.Parse("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
            + "eth0\t0000A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n"));
        Assert.Null(DefaultGateway.Parse("garbage\n\tnot a table"));
        Assert.Null(DefaultGateway.Find("/nonexistent/route"));
    }
}
