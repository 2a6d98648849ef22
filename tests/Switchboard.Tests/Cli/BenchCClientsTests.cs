using System.Runtime.Versioning;
using System.Text.Json;
using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// What the time and chat loads' C clients have alike in the bench: neither speaks TLS, so an
/// explicit <c>c</c> with <c>--tls</c> is refused, and <c>--tls</c> alone measures with the .NET
/// clients and says so.
/// </summary>
[Collection(NonParallel.Name)]
[SupportedOSPlatform("linux")] // the benchmark is Linux only
public sealed class BenchCClientsTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), $"switchboard-bench-{Guid.NewGuid():N}");

    [Theory]
    [InlineData("time")]
    [InlineData("chat")]
    public async Task The_c_client_with_tls_is_one_line_and_exit_code_2(string scenario)
    {
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(scenario, "--engines", "epoll", "--tls", $"--{scenario}-client", "c");

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Equal($"switchboard-bench: --{scenario}-client c has no TLS: leave out --tls, or pass --{scenario}-client dotnet\n", stderr.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("time", "Time", "time: 2 clients, a tick every 0.2 s, 1 s, .NET client (the C one has no TLS), tls: true", "--interval", "200ms")]
    [InlineData("chat", "Chat", "chat: 2 clients, 1 talking, 1 s, .NET client (the C one has no TLS), tls: true", "--senders", "1")]
    public async Task With_tls_and_no_choice_the_dotnet_clients_measure_and_the_load_says_so(string scenario, string setting, string load, string option, string value)
    {
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            scenario, "--engines", "epoll", "--tls", "--clients", "2", option, value, "--duration", "1s", "--out", _out);

        Assert.True(code == 0, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        Assert.Equal(load, stdout.ReplaceLineEndings("\n").Split('\n')[0]);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, scenario + ".json")));
        var settings = json.RootElement.GetProperty("Settings");
        Assert.Equal("dotnet", settings.GetProperty(setting + "Client").GetString());
        Assert.False(settings.TryGetProperty(setting + "ClientPath", out _));
        Assert.True(Assert.Single(json.RootElement.GetProperty("Results").EnumerateArray()).GetProperty("Messages").GetInt64() > 0);
    }

    public void Dispose()
    {
        if (Directory.Exists(_out))
            Directory.Delete(_out, recursive: true);
    }
}
