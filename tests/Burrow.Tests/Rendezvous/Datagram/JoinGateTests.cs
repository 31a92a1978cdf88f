using Burrow.Rendezvous.Server;
using Microsoft.Extensions.Time.Testing;

namespace Burrow.Tests.Rendezvous.Datagram;

/// <summary>The gate before a datagram join's signature check and key agreement.</summary>
public sealed class JoinGateTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    [Fact]
    public void The_join_accepted_with_a_cookie_is_repeated_other_bytes_with_it_are_replayed()
    {
        var gate = new JoinGate(10, _time);
        var cookie = Bytes(16, 1);
        var join = Bytes(174, 2);
        Assert.Equal(JoinAdmission.Fresh, gate.Admit(cookie, join, out _));
        gate.Accepted(cookie, join, 42);

        Assert.Equal(JoinAdmission.Repeated, gate.Admit(cookie, join, out var session));
        Assert.Equal(42UL, session);
        var other = join.ToArray();
        other[^1] ^= 1;
        Assert.Equal(JoinAdmission.Replayed, gate.Admit(cookie, other, out _));
        Assert.Equal(JoinAdmission.Fresh, gate.Admit(Bytes(16, 3), other, out _)); // another cookie: a join of its own
    }

    [Fact]
    public void A_join_not_accepted_leaves_its_cookie_free()
    {
        var gate = new JoinGate(10, _time);
        var cookie = Bytes(16, 1);
        Assert.Equal(JoinAdmission.Fresh, gate.Admit(cookie, Bytes(174, 2), out _)); // e.g. its signature was bad
        Assert.Equal(JoinAdmission.Fresh, gate.Admit(cookie, Bytes(174, 3), out _));
    }

    [Fact]
    public void Fresh_joins_keep_to_the_budget_a_second_s_worth_at_once()
    {
        var gate = new JoinGate(4, _time);
        var admitted = Enumerable.Range(0, 10).Count(i => gate.Admit(Bytes(16, (byte)i), Bytes(174, 0), out _) == JoinAdmission.Fresh);
        Assert.Equal(4, admitted);
        Assert.Equal(JoinAdmission.Busy, gate.Admit(Bytes(16, 99), Bytes(174, 0), out _));

        _time.Advance(TimeSpan.FromMilliseconds(500)); // half a second: two more
        admitted = Enumerable.Range(0, 10).Count(i => gate.Admit(Bytes(16, (byte)(20 + i)), Bytes(174, 0), out _) == JoinAdmission.Fresh);
        Assert.Equal(2, admitted);

        _time.Advance(TimeSpan.FromHours(1)); // a long quiet: no more than a second's worth
        admitted = Enumerable.Range(0, 10).Count(i => gate.Admit(Bytes(16, (byte)(40 + i)), Bytes(174, 0), out _) == JoinAdmission.Fresh);
        Assert.Equal(4, admitted);
    }

    [Fact]
    public void A_repeated_join_needs_no_budget_and_is_forgotten_when_its_cookie_expires()
    {
        var gate = new JoinGate(1, _time);
        var cookie = Bytes(16, 1);
        var join = Bytes(174, 2);
        Assert.Equal(JoinAdmission.Fresh, gate.Admit(cookie, join, out _));
        gate.Accepted(cookie, join, 7);
        Assert.Equal(JoinAdmission.Busy, gate.Admit(Bytes(16, 2), join, out _)); // the budget is spent
        Assert.Equal(JoinAdmission.Repeated, gate.Admit(cookie, join, out _)); // but the same join is answered
        Assert.Equal(1, gate.Remembered);

        _time.Advance(DatagramHandshake.CookieLifetime + TimeSpan.FromMilliseconds(1));
        Assert.Equal(JoinAdmission.Fresh, gate.Admit(Bytes(16, 2), join, out _)); // forgets the expired one first
        Assert.Equal(0, gate.Remembered);
    }

    private static byte[] Bytes(int length, byte value) => Enumerable.Repeat(value, length).ToArray();
}
