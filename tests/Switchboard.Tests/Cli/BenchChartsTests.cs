using System.Runtime.Versioning;
using Switchboard.Bench;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// The benchmark's charts drawn from results made here (failed, partial, not run and one-at-a-time
/// engines beside complete ones, on a wide range and a narrow one), which a short real run cannot
/// produce on demand; and the load's description over the table and under each chart.
/// </summary>
[SupportedOSPlatform("linux")] // the benchmark is Linux only
public sealed class BenchChartsTests : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("switchboard-charts-").FullName;

    private static readonly MachineInfo Machine = new(2, "Test CPU", "6.1.0", ".NET 10.0.0", new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero));

    private static readonly BenchSettings Settings = new() { Scenario = "latency", Clients = 1, Duration = TimeSpan.FromSeconds(2) };

    private static readonly BenchResult[] Results =
    [
        new() { Scenario = "latency", Engine = "epoll", MessagesPerSecond = 10_000, LatencyP99Micros = 100, ServerCpuNanosPerMessage = 1_000 },
        new() { Scenario = "latency", Engine = "threading", Partial = true, MessagesPerSecond = 2_000, LatencyP99Micros = 5_000, ServerCpuNanosPerMessage = 20_000 },
        new() { Scenario = "latency", Engine = "forking", Failure = "connection refused" },
        new() { Scenario = "latency", Engine = "iterative", Iterative = true, MessagesPerSecond = 3_000, LatencyP99Micros = 12.5, ServerCpuNanosPerMessage = 4_000 },
        new() { Scenario = "latency", Engine = "poll", NotRun = true },
    ];

    [Fact]
    public void A_wide_range_is_drawn_on_a_log_scale_and_every_engine_keeps_its_slot_with_its_mark()
    {
        ResultPlots.Write(_out, Settings, Machine, Results);
        var texts = SvgTexts.Read(Path.Combine(_out, "latency-p99.svg"));

        // 12.5 to 5,000 µs: more than ten times
        Assert.Contains("round trip p99 (µs), lower is better, log scale", texts);
        Assert.Contains("100", texts); // epoll's bar (and the tick of 100)
        Assert.Contains("5,000 (partial)", texts);
        Assert.Contains("12.5", texts);
        Assert.Contains("failed", texts);
        Assert.Contains("not run", texts);
        Assert.Equal(["epoll", "threading", "forking", "iterative", "(one client at a time)", "poll"],
            texts.SkipWhile(t => t != "epoll").Take(6));
        Assert.Contains("1k", texts); // the log axis's ticks are powers of ten
        Assert.Contains("latency: 1 client, 2 s", texts);
        Assert.Contains("2 cores, Test CPU, Linux 6.1.0, .NET 10.0.0, 2026-03-04", texts);
    }

    [Fact]
    public void A_narrow_range_is_drawn_on_a_linear_axis_with_the_same_marks()
    {
        ResultPlots.Write(_out, Settings, Machine, Results);
        var texts = SvgTexts.Read(Path.Combine(_out, "latency-rate.svg"));

        // 2,000 to 10,000 msg/s: five times
        Assert.Contains("messages per second (msg/s), higher is better", texts);
        Assert.DoesNotContain(texts, t => t.Contains("log scale", StringComparison.Ordinal));
        Assert.Equal(["10,000", "2,000 (partial)", "3,000"], texts.Take(3));
        Assert.Contains("failed", texts);
        Assert.Contains("not run", texts);
        Assert.Contains("(one client at a time)", texts);
    }

    [Fact]
    public void Nothing_measured_draws_no_chart()
    {
        var written = ResultPlots.Write(_out, Settings, Machine, [Results[2], Results[4]]);

        Assert.Empty(written);
        Assert.Empty(Directory.GetFiles(_out));
    }

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

    public void Dispose() => Directory.Delete(_out, recursive: true);
}
