using Switchboard.Apps.Chat;
using Switchboard.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat;

/// <summary>The conversations on the in-process engines, with one <see cref="ChatHub"/> per server.</summary>
public sealed class ChatOverSocketsTests : ChatConversationTests<ChatOverSocketsTests>, IChatEngines
{
    private readonly List<Server> _servers = [];

    public static IEnumerable<string> EngineNames => TestEngines.InProcess.Where(e => e.ServesConcurrently).Select(e => e.Name);

    [Fact]
    public async Task The_iterative_engine_serves_its_one_client()
    {
        var server = await StartAsync("iterative");
        using var alice = await TestClient.ConnectAsync(server.EndPoint);
        await alice.SendAsync("/nick alice\n/who\n");

        await alice.ReadUntilAsync("*** in #lobby: alice");
    }

    protected override Task<ChatServer> StartAsync(string engine, int? rate = null, int? maxPendingBytes = null, double? registerTimeout = null)
    {
        var hub = new ChatHub();
        var chat = rate is { } r ? new ChatOptions { Rate = r, Burst = 2 * r } : new ChatOptions();
        if (registerTimeout is { } seconds)
            chat = chat with { RegisterTimeout = TimeSpan.FromSeconds(seconds) };
        var options = new ServerOptions { MaxLineLength = ChatOptions.DefaultMaxLineLength };
        if (maxPendingBytes is { } max)
            options = options with { MaxPendingBytes = max };
        var server = new Server(EngineCatalog.Get(engine), options, () => new ChatProtocol(hub, chat));
        server.Start();
        _servers.Add(server);
        return Task.FromResult(new ChatServer(server.LocalEndPoint, () => server.StopAsync().WaitAsync(Timeouts.Patient)));
    }

    protected override async Task StopAllAsync()
    {
        foreach (var server in _servers)
            await server.StopAsync().WaitAsync(Timeouts.Patient);
    }
}
