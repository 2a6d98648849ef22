using Switchboard.Apps;
using Switchboard.Testing;

namespace Switchboard.Tests.Apps;

public sealed class TimeProtocolTests
{
    private static readonly TimeZoneInfo PlusTwo = TimeZoneInfo.CreateCustomTimeZone("test+2", TimeSpan.FromHours(2), "test+2", "test+2");

    [Fact]
    public void Sends_the_time_on_connect_and_then_every_interval()
    {
        var clock = new FixedTimeProvider(new DateTimeOffset(2026, 12, 2, 9, 5, 7, TimeSpan.Zero), TimeZoneInfo.Utc);
        var app = new TimeSource(TimeSpan.FromSeconds(5), utc: true, clock);
        var transport = new StringTransport(app.CreateProtocol());

        Assert.Equal("Wed Dec  2 09:05:07 2026\n", transport.TakeSentText());

        transport.AdvanceTime(TimeSpan.FromSeconds(4.9));
        Assert.Equal("", transport.TakeSentText());

        clock.Now = clock.Now.AddSeconds(5);
        transport.AdvanceTime(TimeSpan.FromSeconds(0.1));
        Assert.Equal("Wed Dec  2 09:05:12 2026\n", transport.TakeSentText());
    }

    [Fact]
    public void Sends_local_time_unless_asked_for_utc()
    {
        var clock = new FixedTimeProvider(new DateTimeOffset(2026, 11, 24, 6, 31, 52, TimeSpan.Zero), PlusTwo);

        var local = new StringTransport(new TimeSource(TimeSpan.FromSeconds(5), utc: false, clock).CreateProtocol());
        var utc = new StringTransport(new TimeSource(TimeSpan.FromSeconds(5), utc: true, clock).CreateProtocol());

        Assert.Equal("Tue Nov 24 08:31:52 2026\n", local.TakeSentText());
        Assert.Equal("Tue Nov 24 06:31:52 2026\n", utc.TakeSentText());
    }

    [Fact]
    public void The_line_is_formatted_once_a_second_and_shared()
    {
        var clock = new FixedTimeProvider(new DateTimeOffset(2026, 12, 2, 9, 5, 7, TimeSpan.Zero), TimeZoneInfo.Utc);
        var app = new TimeSource(TimeSpan.FromSeconds(0.1), utc: true, clock);

        var first = app.LineNow();
        clock.Now = clock.Now.AddMilliseconds(900); // the same second: the same bytes, not a copy
        var again = app.LineNow();
        clock.Now = clock.Now.AddMilliseconds(100);
        var next = app.LineNow();

        Assert.True(System.Runtime.CompilerServices.Unsafe.AreSame(
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(first),
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(again)));
        Assert.Equal("Wed Dec  2 09:05:07 2026\n", System.Text.Encoding.ASCII.GetString(again));
        Assert.Equal("Wed Dec  2 09:05:08 2026\n", System.Text.Encoding.ASCII.GetString(next));
    }

    [Fact]
    public void Stops_sending_after_the_client_leaves()
    {
        var clock = new FixedTimeProvider(DateTimeOffset.UnixEpoch, TimeZoneInfo.Utc);
        var transport = new StringTransport(new TimeSource(TimeSpan.FromSeconds(1), utc: true, clock).CreateProtocol());
        transport.TakeSent();

        transport.CloseFromPeer();
        transport.AdvanceTime(TimeSpan.FromSeconds(5));

        Assert.Empty(transport.TakeSent());
    }
}
