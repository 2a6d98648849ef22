using Switchboard.Apps.Chat;
using Switchboard.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat;

/// <summary>The cap on all connections' queued output, seen from a chat room on a real server.</summary>
public sealed class ChatOutputCapTests : IAsyncLifetime
{
    private readonly List<TestClient> _clients = [];
    private readonly List<Server> _servers = [];

    public static TheoryData<string> Engines => new(TestEngines.InProcess.Where(e => e.ServesConcurrently).Select(e => e.Name));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
            client.Dispose();
        foreach (var server in _servers)
            await server.StopAsync().WaitAsync(Timeouts.Patient);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Over_the_total_cap_one_of_two_sleepers_is_dropped_as_too_slow_and_the_other_stays(string engine)
    {
        // Each sleeper stays under its own 1 MiB; the two together pass 1.5 MiB.
        var hub = new ChatHub();
        var options = new ServerOptions
        {
            MaxLineLength = ChatOptions.DefaultMaxLineLength,
            MaxPendingTotalBytes = 1536 * 1024,
            MaxPendingSoftBytes = 0,
        };
        var server = new Server(EngineCatalog.Get(engine), options, () => new ChatProtocol(hub, new ChatOptions { Rate = 100_000, Burst = 200_000 }));
        _servers.Add(server);
        server.Start();
        var talker = await ConnectAsync(server, "talker");
        await talker.ReadUntilAsync("*** you are talker, in #lobby");
        foreach (string nick in new[] { "s0", "s1" })
        {
            await ConnectAsync(server, nick, receiveBufferSize: 4096);
            await talker.ReadUntilAsync($"*** {nick} joined #lobby", prefix: true);
        }

        // A batch of lines, then /who: its answer comes after the server has handled them all, so
        // the talker never runs far ahead (which would take the remaining sleeper past its own limit).
        string batch = string.Concat(Enumerable.Repeat(new string('x', 400) + "\n", 100)) + "/who\n";
        string? notice = null;
        while (notice is null)
        {
            await talker.SendAsync(batch);
            string answer = await ReadLineAsync(talker, l => l.StartsWith("*** in #lobby: ", StringComparison.Ordinal) || l.EndsWith(" left (too slow)", StringComparison.Ordinal));
            if (answer.EndsWith(" left (too slow)", StringComparison.Ordinal))
            {
                notice = answer;
                await ReadLineAsync(talker, l => l.StartsWith("*** in #lobby: ", StringComparison.Ordinal));
            }
        }

        string gone = notice.Split(' ')[1];
        string stays = gone == "s0" ? "s1" : "s0";

        await talker.SendAsync("/who\n");
        string who = await ReadLineAsync(talker, l => l.StartsWith("*** in #lobby: ", StringComparison.Ordinal));
        string[] here = who.Split(": ")[1].Split(", ");
        Assert.Contains(stays, here);
        Assert.DoesNotContain(gone, here);
    }

    /// <summary>The first line that <paramref name="match"/>es; fails on end of stream or timeout.</summary>
    private static async Task<string> ReadLineAsync(TestClient client, Func<string, bool> match)
    {
        while (await client.ReadLineAsync(Timeouts.Patient) is { } line)
        {
            if (match(line))
                return line;
        }

        Assert.Fail("the connection closed");
        return "";
    }

    private async Task<TestClient> ConnectAsync(Server server, string nick, int? receiveBufferSize = null)
    {
        var client = await TestClient.ConnectAsync(server.LocalEndPoint, receiveBufferSize);
        _clients.Add(client);
        await client.SendAsync($"/nick {nick}\n");
        return client;
    }
}
