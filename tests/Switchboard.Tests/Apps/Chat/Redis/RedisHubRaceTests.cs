using Switchboard.Apps.Chat;
using Switchboard.Apps.Chat.Redis;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Redis;

/// <summary>
/// The Redis hub in this process, against a real redis-server, with members whose delivery can
/// act inside the hub (as a connection dropped for being slow makes its member leave), so that
/// the races between members' calls, the feed and resyncs are met on purpose.
/// </summary>
[Collection(RedisChatRunsAlone.Name)]
public sealed class RedisHubRaceTests
{
    [Fact]
    public async Task A_member_leaving_while_the_hub_tells_everyone_the_backplane_went_or_came_back_does_not_stop_the_others_being_told()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var hub = RedisChatHub.Connect(redis.Url, history: 5);
        var members = new HubMember[5];
        for (int i = 0; i < members.Length; i++)
        {
            members[i] = new HubMember();
            hub.Nick(members[i], $"m{i}");
            await members[i].WaitForAsync(ChatEventKind.Registered);
        }

        // m0 is told first (the first named); telling it drops m1, then m2, as a send that finds
        // a slow consumer does, inline, on the hub's thread.
        members[0].OnDeliver = e =>
        {
            if (e.Kind == ChatEventKind.BackplaneDown)
                hub.Leave(members[1], Farewell.Dropped);
            else if (e.Kind == ChatEventKind.BackplaneBack)
                hub.Leave(members[2], Farewell.Dropped);
        };

        await redis.StopAsync();
        foreach (var member in members.Where((_, i) => i != 1))
            await member.WaitForAsync(ChatEventKind.BackplaneDown);
        await redis.RestartAsync();
        foreach (var member in members.Where((_, i) => i is not (1 or 2)))
            await member.WaitForAsync(ChatEventKind.BackplaneBack, Timeouts.Patient);
        await members[1].Closed.WaitAsync(Timeouts.Quick);
        await members[2].Closed.WaitAsync(Timeouts.Quick);
    }
}
