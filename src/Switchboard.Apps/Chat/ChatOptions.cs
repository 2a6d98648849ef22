namespace Switchboard.Apps.Chat;

/// <summary>Settings of the chat room.</summary>
public sealed record ChatOptions
{
    /// <summary>The longest line accepted, in bytes; longer ones get <c>! line too long</c> and are dropped. Default: 512.</summary>
    public const int DefaultMaxLineLength = 512;

    /// <summary>Lines each room replays to newcomers. Default: 20.</summary>
    public int History { get; init; } = 20;

    /// <summary>
    /// Lines per second of one connection that are handled, on average (token bucket); lines that
    /// come faster wait in the connection's queue (<see cref="MaxQueuedLines"/>). Default: 5.
    /// </summary>
    public double Rate { get; init; } = 5;

    /// <summary>Lines of one connection handled at once before the rate applies. Default: 10.</summary>
    public int Burst { get; init; } = 10;

    /// <summary>
    /// Lines one connection may have waiting for their turn (sent faster than <see cref="Rate"/>);
    /// one more and the connection is disconnected with <c>! too many lines queued</c>. Default:
    /// 100, room for a 10-second stall of a client sending 4 lines a second plus a long paste.
    /// </summary>
    public int MaxQueuedLines { get; init; } = 100;

    /// <summary>The same limit in bytes of text (each line's UTF-8 and its line end). Default: 64 KiB.</summary>
    public int MaxQueuedBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// How long a connection has to choose a name with <c>/nick</c> before it is disconnected with
    /// <c>! too slow to choose a name; goodbye</c>; zero for no limit. Default: 60 seconds.
    /// </summary>
    public TimeSpan RegisterTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Where the rooms live: null (the default) in this process (or a forking server's parent);
    /// <c>redis://HOST:PORT[/DB]</c> in a Redis shared by every node pointed at it
    /// (the Redis hub of docs/scale-out.md).
    /// </summary>
    public string? Hub { get; init; }

    /// <summary>
    /// IRC: a client silent this long is sent a <c>PING</c>; silent as long again, it is
    /// disconnected. Zero: never. Default: 2 minutes.
    /// </summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Dropped lines in a row (too long, or not text) after which a connection is disconnected. Default: 20.</summary>
    public int StrikesBeforeDisconnect { get; init; } = 20;
}
