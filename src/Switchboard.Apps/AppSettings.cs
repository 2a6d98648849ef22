using System.Globalization;
using Switchboard.Apps.Chat;

namespace Switchboard.Apps;

/// <summary>The settings of the apps, one part each; an app reads only its own.</summary>
public sealed record AppSettings
{
    /// <summary>The shortest <see cref="Interval"/>: a millisecond (less would round to nothing).</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(1);

    /// <summary><c>time</c>: time between lines. Default: 5 s.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>time</c>: send UTC rather than local time. Default: false.</summary>
    public bool Utc { get; init; }

    /// <summary><c>chat</c>: the room's settings.</summary>
    public ChatOptions Chat { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        if (Interval < MinInterval)
            throw new ArgumentException($"interval must be at least {MinInterval.TotalSeconds.ToString(CultureInfo.InvariantCulture)} seconds (got {Interval.TotalSeconds.ToString(CultureInfo.InvariantCulture)})");
        if (Chat.History < 0)
            throw new ArgumentException($"bad history {Chat.History}: must be 0 or more");
        if (!(Chat.Rate > 0))
            throw new ArgumentException($"bad rate {Chat.Rate.ToString(CultureInfo.InvariantCulture)}: must be more than 0 lines a second");
        if (Chat.RegisterTimeout < TimeSpan.Zero)
            throw new ArgumentException($"bad register timeout {Chat.RegisterTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}: --register-timeout must be 0 (no limit) or more seconds");
        if (Chat.Hub is { } hub)
            _ = Switchboard.Apps.Chat.Redis.RedisHubAddress.Parse(hub);
        if (Chat.MaxQueuedLines < 1 || Chat.MaxQueuedBytes < 1)
            throw new ArgumentException($"bad chat queue limits ({Chat.MaxQueuedLines} lines, {Chat.MaxQueuedBytes} bytes): both must be 1 or more");
    }
}
