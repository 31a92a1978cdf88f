using System.Text;
using Burrow.Cli.Transfer;
using CsCheck;

namespace Burrow.Tests.Cli;

public class FileOfferTests
{
    [Fact]
    public void An_offer_round_trips_and_pins_its_wire_form()
    {
        var offer = new FileOffer("report.pdf", 12345);
        Assert.Equal("""{"name":"report.pdf","size":12345}""", Encoding.UTF8.GetString(offer.Encode()));
        Assert.Equal(offer, FileOffer.Decode(offer.Encode()));
    }

    [Theory]
    [InlineData("""{"name":"../etc/passwd","size":1}""")]
    [InlineData("""{"name":"/etc/passwd","size":1}""")]
    [InlineData("""{"name":"a\\b","size":1}""")]
    [InlineData("""{"name":"..","size":1}""")]
    [InlineData("""{"name":"","size":1}""")]
    [InlineData("""{"name":"a\u0007b","size":1}""")]
    [InlineData("""{"name":"ok.txt","size":-1}""")]
    [InlineData("""{"name":"ok.txt"}""")]
    [InlineData("""{"name":5,"size":1}""")]
    [InlineData("""[]""")]
    [InlineData("""not json""")]
    public void A_bad_offer_is_refused_with_a_typed_error(string json) =>
        Assert.Throws<InvalidDataException>(() => FileOffer.Decode(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Random_bytes_only_ever_give_an_offer_or_a_typed_error() =>
        Gen.Byte.Array[0, 200].Sample(bytes =>
        {
            try
            {
                var offer = FileOffer.Decode(bytes);
                Assert.NotNull(FileOffer.SafeName(offer.Name));
            }
            catch (InvalidDataException)
            {
            }
        });
}
