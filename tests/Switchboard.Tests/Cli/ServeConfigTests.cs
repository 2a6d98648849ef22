using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// <c>serve --config FILE</c> and <c>SWITCHBOARD_…</c> variables: every option settable in
/// either, the environment over the file, flags over both, and one line naming the key for
/// anything wrong. The limit set is seen where it acts: the client over it is refused.
/// </summary>
public sealed class ServeConfigTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sb-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_file_sets_the_app_and_its_options()
    {
        string file = Write("serve.json", """{ "app": "echo", "port": 0, "max-connections": 1, "limit-exempt": ["10.0.0.0/8", "127.0.0.0/8"] }""");
        using var cli = CliProcess.Start("serve", "--config", file);
        var (endPoint, line) = await cli.ReadListeningLineAsync();
        Assert.EndsWith("(echo, uring)", line); // the default here

        await AssertLimitAsync(endPoint, 1);
        await cli.StopGracefullyAsync();
    }

    [Theory]
    [InlineData("", 2)]                       // the environment over the file
    [InlineData("--max-connections 3", 3)]    // a flag over both
    public async Task The_environment_overrides_the_file_and_a_flag_overrides_both(string flag, int expected)
    {
        string file = Write("serve.json", """{ "app": "echo", "port": 0, "max-connections": 1 }""");
        using var cli = CliProcess.StartUnder("export SWITCHBOARD_MAX_CONNECTIONS=2", ["serve", "--config", file, .. flag.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);
        var (endPoint, _) = await cli.ReadListeningLineAsync();

        await AssertLimitAsync(endPoint, expected);
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task The_environment_alone_sets_options_without_a_file()
    {
        using var cli = CliProcess.StartUnder("export SWITCHBOARD_MAX_CONNECTIONS=1 SWITCHBOARD_PORT=0", "serve", "echo");
        var (endPoint, _) = await cli.ReadListeningLineAsync();

        await AssertLimitAsync(endPoint, 1);
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task Forking_workers_read_the_same_file()
    {
        string file = Write("serve.json", """{ "app": "echo", "port": 0, "engine": "forking", "workers": "1..2" }""");
        using var cli = CliProcess.Start("serve", "--config", file);
        var (endPoint, line) = await cli.ReadListeningLineAsync();
        Assert.EndsWith("(echo, forking)", line);

        using var client = await TestClient.ConnectAsync(endPoint);
        await client.AssertEchoesAsync("from a worker");
        await cli.StopGracefullyAsync();
    }

    [Theory]
    [InlineData("""{ "app": "echo", "max-conections": 5 }""", "serve.json: unknown key 'max-conections' (the keys are serve's options without their dashes: app, backlog,")]
    [InlineData("""{ "app": "echo", "port": 0, "max-connections": 0 }""", "serve.json: max-connections must be at least 1 (got 0)")]
    [InlineData("""{ "app": "echo", "port": "abc" }""", "serve.json: port: bad value 'abc'")]
    [InlineData("""{ "app": "time", "port": 0, "interval": "5x" }""", "serve.json: interval: bad duration '5x'")]
    [InlineData("""{ "app": "time", "port": 0, "utc": "yes" }""", "serve.json: utc: bad value 'yes': write true or false")]
    [InlineData("""{ "app": "warp", "port": 0 }""", "unknown app 'warp' (choose from: ")]
    [InlineData("""{ "app": "echo", "port": 0, "limits": { "max": 1 } }""", "serve.json: unknown key 'limits'")]
    [InlineData("""{ "app": "echo", "port": 0, """, "--config: cannot read ")]
    public async Task Anything_wrong_in_the_file_is_one_line_naming_the_key_and_exit_2(string json, string message)
    {
        string file = Write("serve.json", json);
        var (code, stdout, stderr) = await CliProcess.RunAsync("serve", "--config", file);

        Assert.True(code == 2, $"exit {code}; stderr: {stderr}");
        Assert.Equal("", stdout);
        string line = Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("switchboard: " + message, line);
    }

    [Fact]
    public async Task A_missing_file_is_one_line_and_exit_2()
    {
        string missing = Path.Combine(_directory, "nope.json");
        var (code, _, stderr) = await CliProcess.RunAsync("serve", "--config", missing);

        Assert.Equal(2, code);
        Assert.Equal($"switchboard: --config: cannot read {missing}: no such file\n", stderr);
    }

    [Theory]
    [InlineData("SWITCHBOARD_MAX_CONNECTIONS=0", "switchboard: SWITCHBOARD_MAX_CONNECTIONS must be at least 1 (got 0)")]
    [InlineData("SWITCHBOARD_PROT=1", "switchboard: unknown environment variable SWITCHBOARD_PROT (")]
    public async Task A_bad_environment_variable_is_one_line_naming_it_and_exit_2(string variable, string message)
    {
        using var cli = CliProcess.StartUnder($"export {variable}", "serve", "echo", "--port", "0");
        int code = await cli.WaitForExitAsync();

        Assert.Equal(2, code);
        Assert.StartsWith(message, Assert.Single(cli.Stderr.TrimEnd('\n').Split('\n')));
    }

    private string Write(string name, string json)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, json);
        return path;
    }

    /// <summary>The server takes <paramref name="limit"/> clients and tells the next it is full.</summary>
    private static async Task AssertLimitAsync(System.Net.IPEndPoint endPoint, int limit)
    {
        var clients = new List<TestClient>();
        try
        {
            for (int i = 0; i < limit; i++)
            {
                clients.Add(await TestClient.ConnectAsync(endPoint));
                await clients[^1].AssertEchoesAsync($"client {i}");
            }

            using var over = await TestClient.ConnectAsync(endPoint);
            Assert.Equal($"error: server full ({limit} connection{(limit == 1 ? "" : "s")}); try again later", await over.ReadLineAsync());
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }
    }
}
