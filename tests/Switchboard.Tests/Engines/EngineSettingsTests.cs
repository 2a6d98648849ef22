using Switchboard.Apps;
using Switchboard.Engines;

namespace Switchboard.Tests.Engines;

/// <summary>Engine-specific settings live on the engines, are read from text by the engines, and are validated by them.</summary>
public sealed class EngineSettingsTests
{
    [Fact]
    public void Epoll_takes_its_loops_from_text_and_ignores_names_it_does_not_have()
    {
        var engine = new EpollEngine().WithSettings(new Dictionary<string, string> { ["loops"] = "3", ["workers"] = "1..2" });

        Assert.Equal(3, Assert.IsType<EpollEngine>(engine).Loops);
    }

    [Fact]
    public void Forking_takes_its_pool_from_text_and_keeps_its_worker_program()
    {
        var program = () => new System.Diagnostics.ProcessStartInfo("true");
        var engine = new ForkingEngine { WorkerProgram = program }
            .WithSettings(new Dictionary<string, string> { ["workers"] = "1..4", ["connections-per-worker"] = "5" });

        var forking = Assert.IsType<ForkingEngine>(engine);
        Assert.Equal((1, 4, 5), (forking.MinSpareWorkers, forking.MaxWorkers, forking.ConnectionsPerWorker));
        Assert.Same(program, forking.WorkerProgram);
    }

    [Fact]
    public void An_engine_without_settings_is_returned_as_it_is()
    {
        var engine = new ThreadingEngine();

        Assert.Empty(engine.Settings);
        Assert.Same(engine, engine.WithSettings(new Dictionary<string, string> { ["loops"] = "3" }));
    }

    [Theory]
    [InlineData("loops", "many", "bad --loops 'many': must be a whole number")]
    [InlineData("workers", "4", "bad --workers '4': write MIN..MAX, e.g. 2..32")]
    [InlineData("workers", "-1..4", "bad --workers '-1..4': write MIN..MAX, e.g. 2..32")]
    public void Text_that_is_not_understood_is_one_line_naming_the_setting(string name, string value, string expected)
    {
        var engine = EngineCatalog.All.First(e => e.Settings.Any(s => s.Name == name)); // loops: epoll's and uring's, read alike

        var error = Assert.Throws<ArgumentException>(() => engine.WithSettings(new Dictionary<string, string> { [name] = value }));

        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void A_server_refuses_an_engine_setting_out_of_range()
    {
        var error = Assert.Throws<ArgumentException>(() => new Server(new EpollEngine { Loops = EpollEngine.MaxLoops + 1 }, new ServerOptions(), () => new EchoProtocol()));

        Assert.Equal("--loops must be 0 (one per core) to 256 (got 257)", error.Message);
    }

    [Fact]
    public void Every_setting_has_a_default_the_engine_itself_accepts()
    {
        foreach (var engine in EngineCatalog.All)
        {
            var configured = engine.WithSettings(engine.Settings.ToDictionary(s => s.Name, s => s.DefaultValue));
            configured.Validate();
        }
    }

    [Theory]
    [InlineData(32, 10_000, 32)]
    [InlineData(32, 2, 2)]
    [InlineData(4, 4, 4)]
    public void Forking_caps_its_workers_at_the_connection_limit(int maxWorkers, int maxConnections, int expected)
    {
        var settings = new ForkingEngine { MaxWorkers = maxWorkers }
            .PoolSettings(new ServerOptions { MaxConnections = maxConnections }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, messageHandler: null);

        Assert.Equal(expected, settings.Max);
    }
}
