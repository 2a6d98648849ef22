using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// SIGHUP: <c>serve</c> reads its configuration file again and puts in force what can change
/// while it serves, without dropping a connection; the rest waits for a restart, said in the log.
/// </summary>
public sealed class ServeReloadTests : IDisposable
{
    private const int SigHup = 1;

    private readonly string _directory = Directory.CreateTempSubdirectory("sb-reload-").FullName;

    private string File => Path.Combine(_directory, "chat.json");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("epoll")]
    [InlineData("uring")]
    [InlineData("threading")]
    public async Task A_reload_quickens_the_rate_for_members_already_talking(string engine)
    {
        // One line a hundred seconds: each member's first line (its /nick) takes the only token,
        // and the next waits its turn, 100 s away, unless a reload quickens the pace.
        Write($$"""{ "app": "chat", "port": 0, "engine": "{{engine}}", "rate": 0.01, "metrics": "127.0.0.1:0" }""");
        using var cli = CliProcess.Start("serve", "--config", File);
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        string metrics = (await cli.ReadLineAsync())!["metrics on ".Length..];
        using var alice = await JoinAsync(endPoint, "alice");
        using var bob = await JoinAsync(endPoint, "bob");
        await alice.ReadUntilAsync("*** bob joined #lobby", prefix: true);

        await alice.SendAsync("waiting for my turn\n");
        await PrometheusScrape.WaitUntilAsync(metrics, s => s.Value("switchboard_chat_paced_total", "switchboard_chat_pacing=delayed") == 1); // held
        await ReloadAsync(cli, $$"""{ "app": "chat", "port": 0, "engine": "{{engine}}", "rate": 1000, "metrics": "127.0.0.1:0" }""", "Reloaded: rate 0.01 -> 1000");

        await bob.ReadUntilAsync("<alice> waiting for my turn"); // within Timeouts.Quick: far sooner than the old pace's 100 s
        await alice.SendAsync("and now at once\n");
        await bob.ReadUntilAsync("<alice> and now at once");
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task On_forking_the_connection_served_keeps_its_worker_and_the_next_gets_a_fresh_one_with_the_new_settings()
    {
        // One worker: the client of the reload's time holds it; the next client is served only
        // by the worker that replaces it, which must have been started with the new settings.
        Write("""{ "app": "echo", "port": 0, "engine": "forking", "workers": "1..1", "max-line": 10 }""");
        using var cli = CliProcess.Start("serve", "--config", File);
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        var first = await TestClient.ConnectAsync(endPoint);
        await first.AssertEchoesAsync("short");
        int before = await cli.WorkerServingAsync(first);

        await ReloadAsync(cli, """{ "app": "echo", "port": 0, "engine": "forking", "workers": "1..1", "max-line": 100 }""", "Reloaded: max-line 10 -> 100");
        await first.AssertEchoesAsync("still here"); // not dropped: served on, by its worker

        // The file edited again, without a reload: the fresh worker must not read it (its parent
        // gives it the settings in force, max-line 100).
        Write("""{ "app": "echo", "port": 0, "engine": "forking", "workers": "1..1", "max-line": 10 }""");
        first.Dispose();

        using var next = await TestClient.ConnectAsync(endPoint);
        await next.AssertEchoesAsync("a line longer than ten bytes");
        Assert.NotEqual(before, await cli.WorkerServingAsync(next));
        Assert.DoesNotContain("killed", cli.Stderr, StringComparison.Ordinal);
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task A_reload_raises_the_connection_limit_and_says_what_needs_a_restart()
    {
        Write("""{ "app": "echo", "port": 0, "max-connections": 1 }""");
        using var cli = CliProcess.Start("serve", "--config", File);
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        using var first = await TestClient.ConnectAsync(endPoint);
        await first.AssertEchoesAsync("one");
        using (var refused = await TestClient.ConnectAsync(endPoint))
            Assert.Equal("error: server full (1 connection); try again later", await refused.ReadLineAsync());

        await ReloadAsync(cli, """{ "app": "echo", "port": 0, "max-connections": 2, "backlog": 8 }""", "Reloaded: max-connections 1 -> 2");
        await cli.StderrLines.WaitUntilAsync(lines => lines.Any(l => l.Contains("in force only after a restart: backlog 4096 -> 8", StringComparison.Ordinal)));

        using var second = await TestClient.ConnectAsync(endPoint);
        await second.AssertEchoesAsync("two");
        await first.AssertEchoesAsync("still here"); // the reload dropped no one
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task A_bad_value_at_reload_changes_nothing_and_the_server_keeps_serving()
    {
        Write("""{ "app": "echo", "port": 0, "max-connections": 1 }""");
        using var cli = CliProcess.Start("serve", "--config", File);
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        using var client = await TestClient.ConnectAsync(endPoint);

        await ReloadAsync(cli, """{ "app": "echo", "port": 0, "max-connections": 0 }""", "Reload failed, nothing changed: chat.json: max-connections must be at least 1 (got 0)");

        await client.AssertEchoesAsync("still served");
        using var refused = await TestClient.ConnectAsync(endPoint);
        Assert.Equal("error: server full (1 connection); try again later", await refused.ReadLineAsync()); // the old limit holds
        await cli.StopGracefullyAsync();
    }

    private void Write(string json) => System.IO.File.WriteAllText(File, json);

    /// <summary>Writes <paramref name="json"/> as the file, sends SIGHUP, and waits for the log line that says <paramref name="logged"/>.</summary>
    private async Task ReloadAsync(CliProcess cli, string json, string logged)
    {
        Write(json);
        Assert.True(CliProcess.Signal(cli.Pid, SigHup));
        await cli.StderrLines.WaitUntilAsync(lines => lines.Any(l => l.Contains(logged, StringComparison.Ordinal)));
    }

    private static async Task<TestClient> JoinAsync(System.Net.IPEndPoint endPoint, string nick)
    {
        var client = await TestClient.ConnectAsync(endPoint);
        await client.SendAsync($"/nick {nick}\n");
        await client.ReadUntilAsync($"*** {nick} joined #lobby", prefix: true);
        return client;
    }
}
