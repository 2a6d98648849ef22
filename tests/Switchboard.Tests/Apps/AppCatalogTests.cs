using Switchboard.Apps;
using Switchboard.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps;

/// <summary>Every app has one shape: found by name, made into a server from a context, on any engine.</summary>
public sealed class AppCatalogTests
{
    [Theory]
    [InlineData("time", 51423, 8192)]
    [InlineData("echo", 1234, 8192)]
    [InlineData("print", 1234, 8192)]
    [InlineData("CHAT", 1234, 512)]
    public void Apps_are_found_by_name_with_their_defaults(string name, int port, int maxLine)
    {
        Assert.True(AppCatalog.TryGet(name, out var app));
        Assert.Equal((port, maxLine), (app.DefaultPort, app.DefaultMaxLineLength));
    }

    [Fact]
    public void An_unknown_app_is_not_found() => Assert.False(AppCatalog.TryGet("chess", out _));

    [Fact]
    public async Task An_app_serves_from_the_server_its_context_makes()
    {
        Assert.True(AppCatalog.TryGet("chat", out var chat));
        var context = new ServeContext { Settings = new AppSettings { Chat = new() { History = 5 } } };
        await using var server = chat.CreateServer(new ThreadingEngine(), context);
        server.Start();
        using var alice = await TestClient.ConnectAsync(server.LocalEndPoint);
        await alice.ReadLineAsync(); // the welcome

        await alice.SendAsync("/nick alice\n");

        Assert.Contains("alice", await alice.ReadLineAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task What_an_app_made_for_a_server_is_released_when_it_stops_and_not_before()
    {
        Assert.True(AppCatalog.TryGet("echo", out var echo));
        var context = new ServeContext { Options = new ServerOptions { EndPoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0) } };
        var resource = context.Resources.Own(new Released());
        var server = echo.CreateServer(new ThreadingEngine(), context);
        server.Start();
        using (var client = await TestClient.ConnectAsync(server.LocalEndPoint))
        {
            await client.SendAsync("hi\n");
            Assert.Equal("hi", await client.ReadLineAsync());
            Assert.Equal(0, resource.Times);
        }

        await server.StopAsync();
        await server.StopAsync();

        Assert.Equal(1, resource.Times);
        Assert.Throws<ObjectDisposedException>(() => context.Resources.Own(new Released()));
    }

    [Theory]
    [InlineData("chat", "rate", "--rate must be more than 0 lines a second (got 0)")]
    [InlineData("chat", "history", "--history must be 0 (none) or more (got -1)")]
    [InlineData("chat", "register-timeout", "--register-timeout must be 0 (no limit) or more (got -2.5s)")]
    [InlineData("time", "interval", "--interval must be at least 1ms (got 0s)")]
    [InlineData("time", "short interval", "--interval must be at least 1ms (got 0.5ms)")]
    public void Settings_out_of_range_are_refused_when_the_server_is_made_naming_the_flag_as_the_cli_does(string name, string setting, string message)
    {
        Assert.True(AppCatalog.TryGet(name, out var app));
        var settings = setting switch
        {
            "rate" => new AppSettings { Chat = new() { Rate = 0 } },
            "history" => new AppSettings { Chat = new() { History = -1 } },
            "register-timeout" => new AppSettings { Chat = new() { RegisterTimeout = TimeSpan.FromSeconds(-2.5) } },
            "interval" => new AppSettings { Interval = TimeSpan.Zero },
            _ => new AppSettings { Interval = TimeSpan.FromMilliseconds(0.5) },
        };
        var context = new ServeContext { Settings = settings };

        var error = Assert.Throws<ArgumentException>(() => app.CreateServer(new ThreadingEngine(), context));

        Assert.Equal(message, error.Message);
    }

    private sealed class Released : IAsyncDisposable
    {
        public int Times { get; private set; }

        public ValueTask DisposeAsync()
        {
            Times++;
            return ValueTask.CompletedTask;
        }
    }
}
