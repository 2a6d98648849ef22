using Switchboard.Protocols;

namespace Switchboard.Apps;

/// <summary>
/// What the time app's connections share: on connect, and then every <see cref="Interval"/>,
/// each sends the time in <see cref="Asctime"/> form followed by <c>\n</c>.
/// </summary>
public sealed class TimeSource
{
    private readonly TimeProvider _clock;

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
    public string Now() => Asctime.Format(Utc ? _clock.GetUtcNow().UtcDateTime : _clock.GetLocalNow().DateTime);
}
