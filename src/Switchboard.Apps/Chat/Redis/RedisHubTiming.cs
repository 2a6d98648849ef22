namespace Switchboard.Apps.Chat.Redis;

/// <summary>
/// How often a node says it is alive, and how long after its last word it counts as dead (its
/// members then leave their rooms and their names are free). A node is reaped at most
/// <see cref="DeadAfter"/> + <see cref="HeartbeatInterval"/> after it died (plus the time the heartbeat takes): 7 s by default, 8 s promised.
/// </summary>
internal sealed record RedisHubTiming(TimeSpan HeartbeatInterval, TimeSpan DeadAfter)
{
    public static readonly RedisHubTiming Default = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(6));
}
