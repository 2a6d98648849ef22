namespace Switchboard.Apps.Chat;

/// <summary>Settings of the chat room.</summary>
public sealed record ChatOptions
{
    /// <summary>The longest line accepted, in bytes; longer ones get <c>! line too long</c> and are dropped. Default: 512.</summary>
    public const int DefaultMaxLineLength = 512;

    /// <summary>Lines each room replays to newcomers. Default: 20.</summary>
    public int History { get; init; } = 20;

    /// <summary>Lines per second one connection may send, on average (token bucket). Default: 5.</summary>
    public double Rate { get; init; } = 5;

    /// <summary>Lines one connection may send at once before the rate applies. Default: 10.</summary>
    public int Burst { get; init; } = 10;

    /// <summary>Dropped lines in a row (for flooding, or for being too long) after which a connection is disconnected. Default: 20.</summary>
    public int StrikesBeforeDisconnect { get; init; } = 20;
}
