using System.Text.Json;
using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

[Collection(NonParallel.Name)]
public sealed class BenchCommandTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), $"switchboard-bench-{Guid.NewGuid():N}");

    [Theory]
    [InlineData("echo", "messagesPerSecond")]
    [InlineData("latency", "latencyP99Micros")]
    [InlineData("connections", "acceptsPerSecond")]
    [InlineData("churn", "messagesPerSecond")]
    [InlineData("chat", "latencyP99Micros")]
    [InlineData("time", "messagesPerSecond")]
    public async Task Runs_a_scenario_on_each_engine_and_writes_json(string scenario, string figure)
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync(
            "bench", scenario, "--engines", "threading,epoll", "--duration", "300ms", "--clients", "4", "--in-flight", "10",
            "--connections", "200", "--out", _out);

        Assert.True(code == 0, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, $"{scenario}.json")));
        var results = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(["threading", "epoll"], results.Select(r => r.GetProperty("Engine").GetString()));
        Assert.All(results, r =>
        {
            Assert.Equal(0, r.GetProperty("Errors").GetInt64());
            Assert.True(r.GetProperty(char.ToUpperInvariant(figure[0]) + figure[1..]).GetDouble() > 0);
            Assert.True(r.GetProperty("ServerPeakRssBytes").GetInt64() > 0 || scenario == "connections");
        });
        Assert.Contains("epoll", stdout, StringComparison.Ordinal);
        Assert.NotEmpty(Directory.GetFiles(_out, $"{scenario}-*.png"));
        Assert.NotEmpty(Directory.GetFiles(_out, $"{scenario}-*.svg"));
    }

    [Fact]
    public async Task An_unknown_scenario_is_one_line_and_exit_code_2()
    {
        var (code, _, stderr) = await CliProcess.RunAsync("bench", "juggling");

        Assert.Equal(2, code);
        Assert.Equal("switchboard: unknown scenario 'juggling' (choose from: echo, latency, connections, churn, chat, time)\n", stderr.ReplaceLineEndings("\n"));
    }

    public void Dispose()
    {
        if (Directory.Exists(_out))
            Directory.Delete(_out, recursive: true);
    }
}
