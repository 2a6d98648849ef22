using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Redis;

/// <summary>A name is one member's across every node: unique ignoring case and look-alikes.</summary>
[Collection(RedisChatRunsAlone.Name)]
public sealed class RedisNameTests
{
    [Fact]
    public async Task Two_nodes_racing_for_a_name_give_it_to_exactly_one()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);

        for (int round = 0; round < 20; round++)
        {
            string name = $"sam{round}";
            using var onA = await a.ConnectAsync();
            using var onB = await b.ConnectAsync();

            // Both written before either is read.
            await Task.WhenAll(onA.SendAsync("/nick " + name), onB.SendAsync("/nick " + name));
            static bool Answer(string l) => l.StartsWith("*** you are", StringComparison.Ordinal) || l.StartsWith("! ", StringComparison.Ordinal);
            string gotA = (await onA.ReadUntilAsync(Answer, $"an answer to /nick {name} on A", Timeouts.Quick))[^1];
            string gotB = (await onB.ReadUntilAsync(Answer, $"an answer to /nick {name} on B", Timeouts.Quick))[^1];

            string won = $"*** you are {name}, in #lobby";
            string lost = $"! the name {name} is taken";
            Assert.True(
                (gotA == won && gotB == lost) || (gotA == lost && gotB == won),
                $"round {round}: A got '{gotA}', B got '{gotB}'");
        }
    }

    [Fact]
    public async Task Two_members_on_two_nodes_renaming_to_one_name_give_it_to_exactly_one()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);

        for (int round = 0; round < 10; round++)
        {
            string name = $"sam{round}";
            using var onA = await a.JoinAsync($"xa{round}");
            using var onB = await b.JoinAsync($"xb{round}");

            await Task.WhenAll(onA.SendAsync("/nick " + name), onB.SendAsync("/nick " + name));
            string gotA = (await onA.ReadUntilAsync(l => l.StartsWith("! ", StringComparison.Ordinal) || l == $"*** xa{round} is now known as {name}", "an answer on A", Timeouts.Quick))[^1];
            string gotB = (await onB.ReadUntilAsync(l => l.StartsWith("! ", StringComparison.Ordinal) || l == $"*** xb{round} is now known as {name}", "an answer on B", Timeouts.Quick))[^1];

            string lost = $"! the name {name} is taken";
            Assert.True(
                (gotA.StartsWith("***", StringComparison.Ordinal) && gotB == lost) || (gotA == lost && gotB.StartsWith("***", StringComparison.Ordinal)),
                $"round {round}: A got '{gotA}', B got '{gotB}'");
        }
    }

    [Fact]
    public async Task A_name_in_another_case_on_another_node_is_taken()
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);
        using var sam = await a.JoinAsync("sam");
        using var other = await b.ConnectAsync();

        await other.SendAsync("/nick Sam");

        Assert.Equal(["! the name Sam is taken"], await other.ReadUntilAsync(l => l.StartsWith('!') || l.StartsWith("*** you are", StringComparison.Ordinal), "an answer", Timeouts.Quick));
    }

    [Theory]
    [InlineData("sam", "sarn")] // rn reads as m
    [InlineData("alice", "aIice")] // I, l, 1, i
    [InlineData("wow", "vvow")] // vv reads as w
    [InlineData("bo0", "BOO")] // 0 and O, case too
    public async Task A_look_alike_on_another_node_is_refused(string first, string lookAlike)
    {
        await using var redis = await RedisServer.StartAsync();
        using var a = await ChatNode.StartAsync(redis);
        using var b = await ChatNode.StartAsync(redis);
        using var holder = await a.JoinAsync(first);
        using var other = await b.ConnectAsync();

        await other.SendAsync("/nick " + lookAlike);

        Assert.Equal(
            [$"! the name {lookAlike} is too like {first}; choose another"],
            await other.ReadUntilAsync(l => l.StartsWith('!') || l.StartsWith("*** you are", StringComparison.Ordinal), "an answer", Timeouts.Quick));
    }
}
