using Switchboard.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Engines;

/// <summary>The log's repeat limiter on a clock the test moves.</summary>
public sealed class RepeatLimiterTests
{
    private readonly ManualTimeProvider _clock = new();
    private readonly List<string> _summaries = [];

    private RepeatLimiter Create() =>
        new(TimeSpan.FromSeconds(10), (kind, count, window) => _summaries.Add($"{count} {kind} in {window.TotalSeconds} s"), _clock);

    [Fact]
    public void The_first_of_a_kind_is_logged_and_repeats_in_the_window_become_one_summary()
    {
        using var limiter = Create();

        Assert.True(limiter.ShouldLog("server full"));
        for (int i = 0; i < 519; i++)
            Assert.False(limiter.ShouldLog("server full"));
        Assert.True(limiter.ShouldLog("out of descriptors")); // another kind is news
        Assert.Empty(_summaries);

        _clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(["519 server full in 10 s"], _summaries);
    }

    [Fact]
    public void A_flood_that_goes_on_gets_one_summary_per_window_and_after_a_quiet_window_the_next_is_logged_again()
    {
        using var limiter = Create();
        Assert.True(limiter.ShouldLog("x"));
        Assert.False(limiter.ShouldLog("x"));
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.False(limiter.ShouldLog("x")); // still flooding: counted for the next window
        Assert.False(limiter.ShouldLog("x"));
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(["1 x in 10 s", "2 x in 10 s"], _summaries);

        _clock.Advance(TimeSpan.FromSeconds(10)); // a quiet window: nothing to say, and forgotten
        Assert.Equal(2, _summaries.Count);
        Assert.True(limiter.ShouldLog("x"));
    }

    [Fact]
    public void Dispose_summarises_what_is_still_counted_over_the_time_it_was_counted()
    {
        var limiter = Create();
        Assert.True(limiter.ShouldLog("x"));
        Assert.False(limiter.ShouldLog("x"));
        _clock.Advance(TimeSpan.FromSeconds(3));
        Assert.False(limiter.ShouldLog("x"));

        limiter.Dispose();

        Assert.Equal(["2 x in 3 s"], _summaries);
        Assert.True(limiter.ShouldLog("x")); // after disposal nothing is held back
    }
}
