using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary><c>serve</c>'s per-address limits as the apps default them, and the warning on serving the network.</summary>
public sealed class ServeLimitsTests
{
    [Fact]
    public async Task Chat_allows_16_connections_per_address_by_default_and_refuses_the_17th_with_one_line()
    {
        // --limit-exempt '' so that loopback counts like any other address.
        using var cli = CliProcess.Start("serve", "chat", "--port", "0", "--limit-exempt", "");
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        var clients = new List<TestClient>();
        try
        {
            for (int i = 0; i < 16; i++)
            {
                clients.Add(await TestClient.ConnectAsync(endPoint));
                Assert.NotNull(await clients[^1].ReadLineAsync()); // the chat's greeting
            }

            using var over = await TestClient.ConnectAsync(endPoint);
            Assert.Equal("error: too many connections from your address (16); try again later", await over.ReadLineAsync());
            Assert.True(await over.WaitForCloseAsync());
            await cli.StderrLines.WaitUntilAsync(l => l.Any(x => x.Contains("too many connections from your address (16)", StringComparison.Ordinal)));
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }
    }

    [Fact]
    public async Task Loopback_is_exempt_by_default()
    {
        using var cli = CliProcess.Start("serve", "chat", "--port", "0", "--max-connections-per-ip", "1", "--connect-rate", "1");
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        using var first = await TestClient.ConnectAsync(endPoint);
        using var second = await TestClient.ConnectAsync(endPoint);
        using var third = await TestClient.ConnectAsync(endPoint);
        Assert.DoesNotContain("error:", await first.ReadLineAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("error:", await second.ReadLineAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("error:", await third.ReadLineAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forking_starts_chat_with_the_per_address_limits_off_rather_than_refusing_its_defaults()
    {
        using var cli = CliProcess.Start("serve", "chat", "--port", "0", "-e", "forking");
        var (_, line) = await cli.ReadListeningLineAsync();
        Assert.EndsWith("(chat, forking)", line, StringComparison.Ordinal);
        await cli.StopGracefullyAsync();
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    public async Task Serving_the_network_warns_on_stderr_in_one_line(string host)
    {
        using var cli = CliProcess.Start("serve", "echo", "--port", "0", "--host", host);
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        var lines = await cli.StderrLines.WaitUntilAsync(l => l.Any(x => x.Contains("warning:", StringComparison.Ordinal)));
        string warning = Assert.Single(lines, x => x.Contains("warning:", StringComparison.Ordinal));
        Assert.Equal($"switchboard: warning: echo has no authentication and {endPoint} is reachable from other machines; anyone who can connect can use it", warning);
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task The_open_files_limit_is_logged_at_debug()
    {
        // ulimit -n sets the soft and the hard limit: nothing left to raise.
        using var cli = CliProcess.StartUnder("ulimit -n 4000", "serve", "echo", "--port", "0", "--log-level", "debug");
        await cli.ReadListeningLineAsync();
        await cli.StderrLines.WaitUntilAsync(l => l.Any(x => x.EndsWith("open files limit 4000, already at the hard limit", StringComparison.Ordinal)));
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task The_open_files_limit_is_not_logged_at_information()
    {
        using var cli = CliProcess.StartUnder("ulimit -n 4000", "serve", "echo", "--port", "0");
        await cli.ReadListeningLineAsync();
        await cli.StopGracefullyAsync();
        Assert.DoesNotContain("open files limit", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serving_loopback_says_nothing_of_the_network()
    {
        using var cli = CliProcess.Start("serve", "echo", "--port", "0");
        await cli.ReadListeningLineAsync();
        await cli.StopGracefullyAsync();
        Assert.DoesNotContain("warning:", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refusals_of_one_kind_log_one_line_then_a_count()
    {
        using var cli = CliProcess.Start("serve", "echo", "--port", "0", "--max-connections", "1");
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        using var held = await TestClient.ConnectAsync(endPoint);
        await held.AssertEchoesAsync("hold");

        const int Refused = 30;
        for (int i = 0; i < Refused; i++)
        {
            using var client = await TestClient.ConnectAsync(endPoint);
            Assert.Equal("error: server full (1 connection); try again later", await client.ReadLineAsync());
        }

        // Stopping ends the window early: what was counted is summarised then.
        await cli.StopGracefullyAsync();
        var lines = cli.Stderr.Split('\n');
        Assert.Single(lines, l => l.Contains("Refused 127.0.0.1:", StringComparison.Ordinal));
        // At stop the count covers the time since the first: under the 10 s window.
        Assert.Single(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, $@"Refused {Refused - 1} more connections \(server full \(1 connection\)\) in the last ([1-9]|10) s$"));
    }
}
