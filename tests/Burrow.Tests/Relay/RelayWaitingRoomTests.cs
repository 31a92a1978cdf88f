using Burrow.Relay;

namespace Burrow.Tests.Relay;

public class RelayWaitingRoomTests
{
    [Fact]
    public async Task The_second_bind_of_a_token_is_handed_to_the_first_and_a_lonely_one_leaves_empty_handed()
    {
        var room = new RelayWaitingRoom<string>();
        var first = room.Enter("t", "a");
        Assert.NotNull(first);
        Assert.Null(room.Enter("t", "b"));
        Assert.True(first.IsCompletedSuccessfully);
        Assert.Equal("b", await first);

        var lonely = room.Enter("u", "c");
        Assert.NotNull(lonely);
        Assert.Null(room.Leave("u", lonely));
        Assert.NotNull(room.Enter("u", "d")); // the lonely bind left: a new one waits in its turn
    }

    [Fact]
    public async Task A_wait_that_gives_up_after_it_was_paired_leaves_a_third_bind_of_the_token_waiting()
    {
        var room = new RelayWaitingRoom<string>();
        var first = room.Enter("t", "a")!;
        Assert.Null(room.Enter("t", "b")); // pairs with the first as its wait times out
        var third = room.Enter("t", "c");
        Assert.NotNull(third);

        Assert.Equal("b", room.Leave("t", first)); // the first goes on with its partner...
        Assert.Null(room.Enter("t", "d")); // ...and the third is still there for the fourth
        Assert.True(third.IsCompletedSuccessfully);
        Assert.Equal("d", await third);
    }
}
