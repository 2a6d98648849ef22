using System.Text;
using Switchboard.Protocols;

namespace Switchboard.Apps;

/// <summary>
/// What the time app's connections share: on connect, and then every <see cref="Interval"/>,
/// each sends the time in <see cref="Asctime"/> form followed by <c>\n</c>.
/// </summary>
/// <remarks>
/// The line shows whole seconds, so it is formatted once per second of the clock and the same
/// bytes go to every connection that ticks within that second: at 10,000 clients × 10 ticks a
/// second that is one formatting instead of 100,000, and no allocation per tick.
/// </remarks>
public sealed class TimeSource
{
    private readonly TimeProvider _clock;
    private FormattedSecond? _last; // replaced whole, read without a lock: any thread may tick

    /// <summary>Creates the app.</summary>
    /// <param name="interval">Time between lines; must be positive.</param>
    /// <param name="utc">Send UTC rather than local time.</param>
    /// <param name="clock">Where the time comes from; the system clock by default.</param>
    public TimeSource(TimeSpan interval, bool utc = false, TimeProvider? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        Interval = interval;
        Utc = utc;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>Time between lines.</summary>
    public TimeSpan Interval { get; }

    /// <summary>True to send UTC, false for local time.</summary>
    public bool Utc { get; }

    /// <summary>Makes the protocol for one connection.</summary>
    public Protocol CreateProtocol() => new TimeProtocol(this);

    /// <summary>The line sent now, without its line end.</summary>
    public string Now() => Asctime.Format(Shown(_clock.GetUtcNow()));

    /// <summary>
    /// The line sent now as ASCII, line end included. The bytes are shared: callers send them and
    /// never write to them.
    /// </summary>
    internal ReadOnlySpan<byte> LineNow()
    {
        var now = _clock.GetUtcNow();
        long second = now.UtcTicks / TimeSpan.TicksPerSecond;
        var last = Volatile.Read(ref _last);
        if (last is null || last.Second != second)
        {
            // Time zones change their offset on whole seconds, so the second in UTC decides for
            // local time too. Two threads starting a second at once both format it; either result is right.
            last = new FormattedSecond(second, Encoding.ASCII.GetBytes(Asctime.Format(Shown(now)) + "\n"));
            Volatile.Write(ref _last, last);
        }

        return last.Line;
    }

    private DateTime Shown(DateTimeOffset utcNow) =>
        Utc ? utcNow.UtcDateTime : TimeZoneInfo.ConvertTime(utcNow, _clock.LocalTimeZone).DateTime;

    private sealed record FormattedSecond(long Second, byte[] Line);
}
