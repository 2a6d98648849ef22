using System.Net;
using System.Net.Sockets;
using Switchboard.Apps;
using Switchboard.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Engines;

/// <summary>
/// The per-address limits (<see cref="ServerOptions.MaxConnectionsPerAddress"/>,
/// <see cref="ServerOptions.ConnectRatePerMinute"/>, <see cref="ServerOptions.LimitExempt"/>)
/// on real servers of every engine that admits in the test process; forking refuses them
/// (Cli/ServeCommandTests). Loopback is exempt by default, so these servers exempt nothing, or
/// only 127.0.0.2, which a client reaches by binding its socket to it.
/// </summary>
public sealed class AddressLimitTests : IAsyncLifetime
{
    private readonly List<Server> _servers = [];
    private readonly ServerProbe _probe = new();

    public static TheoryData<string> Engines => [.. TestEngines.InProcess.Select(e => e.Name)];

    // Iterative serves one connection at a time: a second waits in the backlog until the first
    // is done, so a limit of connections open at once never bites there.
    public static TheoryData<string> ConcurrentEngines => [.. TestEngines.InProcess.Where(e => e.ServesConcurrently).Select(e => e.Name)];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
            await server.StopAsync().WaitAsync(Timeouts.Patient);
    }

    [Theory]
    [MemberData(nameof(ConcurrentEngines))]
    public async Task A_connection_over_the_per_address_limit_is_told_so_and_closed_and_a_freed_place_is_reused(string engine)
    {
        var server = Start(engine, new ServerOptions { MaxConnectionsPerAddress = 2, LimitExempt = [] });
        using var first = await TestClient.ConnectAsync(server.LocalEndPoint);
        long firstId = await ReadHelloAsync(first);
        using var second = await TestClient.ConnectAsync(server.LocalEndPoint);
        await ReadHelloAsync(second);

        using (var third = await TestClient.ConnectAsync(server.LocalEndPoint))
        {
            Assert.Equal("error: too many connections from your address (2); try again later", await third.ReadLineAsync());
            Assert.True(await third.WaitForCloseAsync());
        }

        first.Dispose();
        await _probe.WaitForDisconnectAsync(firstId, Switchboard.Protocols.DisconnectReason.RemoteClosed);
        using var again = await TestClient.ConnectAsync(server.LocalEndPoint);
        await ReadHelloAsync(again);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Connecting_faster_than_the_rate_is_refused_after_the_burst(string engine)
    {
        var server = Start(engine, new ServerOptions { ConnectRatePerMinute = 3, LimitExempt = [] });
        for (int i = 0; i < 3; i++)
        {
            using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
            await ReadHelloAsync(client);
        }

        using var fourth = await TestClient.ConnectAsync(server.LocalEndPoint);
        Assert.Equal("error: connecting too often from your address (3 a minute); try again later", await fourth.ReadLineAsync());
        Assert.True(await fourth.WaitForCloseAsync());
    }

    [Theory]
    [MemberData(nameof(ConcurrentEngines))]
    public async Task Exempt_addresses_are_not_counted_and_other_addresses_count_apart(string engine)
    {
        var server = Start(engine, new ServerOptions
        {
            MaxConnectionsPerAddress = 1,
            LimitExempt = [new IPNetwork(IPAddress.Parse("127.0.0.2"), 32)],
        });

        // 127.0.0.2 is exempt: three at once.
        var exempt = new List<TestClient>();
        for (int i = 0; i < 3; i++)
        {
            exempt.Add(await ConnectFromAsync(IPAddress.Parse("127.0.0.2"), server.LocalEndPoint));
            await ReadHelloAsync(exempt[^1]);
        }

        // 127.0.0.1 is not, and its count is its own: one, then refused.
        using var counted = await TestClient.ConnectAsync(server.LocalEndPoint);
        await ReadHelloAsync(counted);
        using var over = await TestClient.ConnectAsync(server.LocalEndPoint);
        Assert.Equal("error: too many connections from your address (1); try again later", await over.ReadLineAsync());

        foreach (var client in exempt)
            client.Dispose();
    }

    [Theory]
    [MemberData(nameof(ConcurrentEngines))]
    public async Task The_default_exemption_is_loopback(string engine)
    {
        var server = Start(engine, new ServerOptions { MaxConnectionsPerAddress = 1, ConnectRatePerMinute = 1 });
        var clients = new List<TestClient>();
        for (int i = 0; i < 4; i++)
        {
            clients.Add(await TestClient.ConnectAsync(server.LocalEndPoint));
            await ReadHelloAsync(clients[^1]);
        }

        foreach (var client in clients)
            client.Dispose();
    }

    private static async Task<TestClient> ConnectFromAsync(IPAddress local, IPEndPoint server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Bind(new IPEndPoint(local, 0));
        using var cts = new CancellationTokenSource(Timeouts.Quick);
        await socket.ConnectAsync(server, cts.Token);
        return TestClient.Wrap(socket);
    }

    private Server Start(string engine, ServerOptions options)
    {
        var server = new Server(EngineCatalog.Get(engine), options, TestProtocols.Factory(TestProtocol.Scripted, _probe));
        server.Start();
        _servers.Add(server);
        return server;
    }

    private static async Task<long> ReadHelloAsync(TestClient client)
    {
        string? line = await client.ReadLineAsync();
        Assert.NotNull(line);
        Assert.StartsWith("hello ", line, StringComparison.Ordinal);
        return long.Parse(line["hello ".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
