using System.Runtime.Versioning;
using Switchboard.Bench;

namespace Switchboard.Tests.Cli;

/// <summary>The load's description over the benchmark's table and under each chart.</summary>
[SupportedOSPlatform("linux")] // the benchmark is Linux only
public sealed class BenchChartsTests
{
    private static readonly BenchSettings Settings = new() { Scenario = "latency", Clients = 1, Duration = TimeSpan.FromSeconds(2) };

    [Theory]
    [InlineData("latency", 1, "latency: 1 client, 2 s")]
    [InlineData("latency", 2, "latency: 2 clients, 2 s")]
    [InlineData("echo", 1, "echo: 1 client × 1 in flight, 32 B, 2 s")]
    [InlineData("time", 1, "time: 1 client, a tick every 0.1 s, 2 s")]
    [InlineData("chat", 1, "chat: 1 client, 1 talking, 2 s")]
    [InlineData("connections", 1, "connections: 1 connection")]
    [InlineData("connections", 10_000, "connections: 10,000 connections")]
    public void The_load_says_one_client_and_many_clients(string scenario, int count, string expected)
    {
        var settings = Settings with { Scenario = scenario, Clients = count, Senders = 1, InFlight = 1, Connections = count };

        Assert.Equal(expected, LoadDescription.Of(settings));
    }

    [Fact]
    public void A_repeated_run_says_so()
    {
        Assert.Equal("latency: 1 client, 2 s, median of 3 runs each", LoadDescription.Of(Settings with { Repeat = 3 }));
    }
}
