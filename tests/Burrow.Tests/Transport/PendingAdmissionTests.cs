using System.Net;
using Burrow.Transport;

namespace Burrow.Tests.Transport;

public sealed class PendingAdmissionTests
{
    private static readonly IPAddress A = IPAddress.Parse("198.18.0.1");
    private static readonly IPAddress B = IPAddress.Parse("198.18.0.2");
    private static readonly IPAddress C = IPAddress.Parse("198.18.0.3");

    [Fact]
    public void Each_address_gets_its_share_and_all_together_the_total()
    {
        var pending = new PendingAdmission(max: 3, maxPerAddress: 2);
        Assert.Equal(Admission.Admitted, pending.TryAdmit(A));
        Assert.Equal(Admission.Admitted, pending.TryAdmit(A));
        Assert.Equal(Admission.BusyAddress, pending.TryAdmit(A));
        Assert.Equal(Admission.Admitted, pending.TryAdmit(B));
        Assert.Equal(Admission.Busy, pending.TryAdmit(C));
        Assert.Equal(3, pending.Count);

        pending.Release(A);
        Assert.Equal(2, pending.Count);
        Assert.Equal(Admission.Admitted, pending.TryAdmit(C)); // a place freed by A is anyone's
        Assert.Equal(Admission.Busy, pending.TryAdmit(A));
        pending.Release(B);
        Assert.Equal(Admission.Admitted, pending.TryAdmit(A)); // A's second
        Assert.Equal(Admission.Busy, pending.TryAdmit(B));
        pending.Release(C);
        Assert.Equal(Admission.BusyAddress, pending.TryAdmit(A)); // a place is free, but not for A
        Assert.Equal(Admission.Admitted, pending.TryAdmit(B));
    }

    [Fact]
    public void An_IPv4_host_is_the_same_host_as_its_IPv4_mapped_IPv6_address()
    {
        var pending = new PendingAdmission(max: 10, maxPerAddress: 1);
        Assert.Equal(Admission.Admitted, pending.TryAdmit(A));
        Assert.Equal(Admission.BusyAddress, pending.TryAdmit(A.MapToIPv6()));
        pending.Release(A.MapToIPv6());
        Assert.Equal(0, pending.Count);
        Assert.Equal(Admission.Admitted, pending.TryAdmit(A.MapToIPv6()));
    }

    [Fact]
    public void Giving_back_a_place_never_taken_is_a_fault_not_a_silent_miscount()
    {
        var pending = new PendingAdmission(max: 10, maxPerAddress: 1);
        Assert.Throws<InvalidOperationException>(() => pending.Release(A));
        Assert.Equal(Admission.Admitted, pending.TryAdmit(A));
        pending.Release(A);
        Assert.Throws<InvalidOperationException>(() => pending.Release(A));
        Assert.Equal(0, pending.Count);
    }

    [Fact]
    public void A_place_is_given_back_once_however_often_it_is_left()
    {
        var pending = new PendingAdmission(max: 10, maxPerAddress: 2);
        Assert.Equal(Admission.Admitted, pending.TryAdmit(A));
        Assert.Equal(Admission.Admitted, pending.TryAdmit(A));
        var place = new PendingAdmission.Place(pending, A);
        place.Leave();
        place.Leave();
        Assert.Equal(1, pending.Count);
    }
}
