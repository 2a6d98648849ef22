using Switchboard.Clients;

namespace Switchboard.Tests.Clients;

public sealed class SpinnerTests
{
    [Fact]
    public void Bounces_across_ten_places_like_the_seed()
    {
        var spinner = new Spinner();

        var frames = Enumerable.Range(0, 20).Select(_ => spinner.Next()).ToList();

        Assert.Equal("|.........", frames[0]);
        Assert.Equal(".|........", frames[1]);
        Assert.Equal(".........|", frames[9]);
        Assert.Equal("........|.", frames[10]);
        Assert.Equal("|.........", frames[18]);
        Assert.Equal(".|........", frames[19]);
        Assert.All(frames, f => Assert.Equal(10, f.Length));
    }
}
