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

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the first setting out of range by its
    /// <c>switchboard serve</c> flag, in the CLI's words: <c>--rate must be more than 0 lines a second (got 0)</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        if (Interval < MinInterval)
            throw new ArgumentException($"--interval must be at least {DurationText(MinInterval)} (got {DurationText(Interval)})");
        if (Chat.History < 0)
            throw new ArgumentException($"--history must be 0 (none) or more (got {Chat.History.ToString(CultureInfo.InvariantCulture)})");
        if (!(Chat.Rate > 0))
            throw new ArgumentException($"--rate must be more than 0 lines a second (got {Chat.Rate.ToString(CultureInfo.InvariantCulture)})");
        if (Chat.RegisterTimeout < TimeSpan.Zero)
            throw new ArgumentException($"--register-timeout must be 0 (no limit) or more (got {DurationText(Chat.RegisterTimeout)})");
        if (Chat.Hub is { } hub)
            _ = Switchboard.Apps.Chat.Redis.RedisHubAddress.Parse(hub);
        if (Chat.MaxQueuedLines < 1 || Chat.MaxQueuedBytes < 1)
            throw new ArgumentException($"bad chat queue limits ({Chat.MaxQueuedLines} lines, {Chat.MaxQueuedBytes} bytes): both must be 1 or more");
    }

    /// <summary>A duration as the CLI writes one: <c>1ms</c>, <c>0.5ms</c>, <c>0s</c>, <c>2.5s</c>.</summary>
    private static string DurationText(TimeSpan value) =>
        value != TimeSpan.Zero && Math.Abs(value.TotalSeconds) < 1
            ? Math.Round(value.TotalMilliseconds, 3).ToString("0.###", CultureInfo.InvariantCulture) + "ms"
            : Math.Round(value.TotalSeconds, 3).ToString("0.###", CultureInfo.InvariantCulture) + "s";
}
