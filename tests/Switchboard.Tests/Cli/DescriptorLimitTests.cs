using System.Diagnostics;
using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

[Collection(NonParallel.Name)]
public sealed class DescriptorLimitTests
{
    [Theory]
    [InlineData("select")]
    [InlineData("poll")]
    [InlineData("epoll")]
    [InlineData("uring")]
    public async Task At_the_descriptor_limit_clients_are_refused_with_a_line_and_the_server_keeps_serving(string engine)
    {
        // The runtime itself holds about a hundred descriptors; 160 leaves room for a few dozen clients.
        using var server = CliProcess.StartUnder($"ulimit -n 160", "serve", "echo", "--port", "0", "--engine", engine);
        var (endPoint, _) = await server.ReadListeningLineAsync();

        using var clients = await EchoClients.ConnectUntilRefusedAsync(endPoint, 150);
        Assert.Equal("error: server out of file descriptors; try again later", clients.Refusal);
        await server.StderrLines.WaitUntilAsync(l => l.Any(x => x.Contains(": server out of file descriptors", StringComparison.Ordinal)));
        await clients.CloseAndAssertServedAgainAsync(server, endPoint);
    }

    [Theory]
    [InlineData("select")]
    [InlineData("poll")]
    [InlineData("epoll")]
    [InlineData("uring")]
    [InlineData("threading")]
    [InlineData("async")]
    public async Task A_burst_past_the_descriptor_limit_is_refused_in_part_and_never_crashes_the_server(string engine)
    {
        // All at once, so the server meets the limit while it is busy accepting (one at a time, above,
        // it only ever meets it between clients). The runtime needs descriptors of its own at that moment.
        using var server = CliProcess.StartUnder("ulimit -n 300", "serve", "echo", "--port", "0", "--engine", engine);
        var (endPoint, _) = await server.ReadListeningLineAsync();

        var clients = new List<TestClient>();
        int served;
        try
        {
            var connecting = Enumerable.Range(0, 400).Select(_ => TestClient.ConnectAsync(endPoint)).ToList();
            foreach (var attempt in connecting)
            {
                try
                {
                    clients.Add(await attempt);
                }
                catch (System.Net.Sockets.SocketException)
                {
                    // the backlog overflowed: that client is simply not served, which is allowed
                }
            }

            var answers = await Task.WhenAll(clients.Select(async c =>
            {
                await c.SendAsync("ping\n");
                return await c.ReadLineAsync(TimeSpan.FromSeconds(20));
            }));
            Assert.All(answers, a => Assert.True(a is "ping" or "error: server out of file descriptors; try again later" or null, $"unexpected answer '{a}'"));
            Assert.Contains("ping", answers);
            Assert.Contains("error: server out of file descriptors; try again later", answers);
            served = answers.Count(a => a == "ping");
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }

        // Once the served clients' connections are closed, there is room again.
        await EchoClients.AssertServedAgainAsync(server, endPoint, served);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("uring")]
    [InlineData("threading")]
    public async Task Sockets_still_lingering_after_their_connection_ended_count_against_the_limit(string engine)
    {
        // print closes a client that sends an overlong line, gracefully: its socket lingers until
        // the client closes too. These clients never do, so the sockets outlive their connections.
        using var server = CliProcess.StartUnder("ulimit -n 300", "serve", "print", "--port", "0", "--engine", engine, "--max-line", "10");
        var (endPoint, _) = await server.ReadListeningLineAsync();

        var clients = new List<TestClient>();
        try
        {
            for (int i = 0; i < 320; i++)
            {
                var client = await TestClient.ConnectAsync(endPoint);
                clients.Add(client);
                await client.SendAsync("far more than ten bytes\n");
                string? answer = await client.ReadLineAsync();
                Assert.True(answer is "error: line too long (max 10 bytes)" or "error: server out of file descriptors; try again later", $"unexpected answer '{answer}'");
            }

            await server.StderrLines.WaitUntilAsync(l => l.Any(x => x.Contains(": server out of file descriptors", StringComparison.Ordinal)));
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }

        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.DoesNotContain("Out of memory", server.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Uring_accepts_with_one_multishot_far_from_the_limit_a_few_at_a_time_near_it_and_a_multishot_again_once_far()
    {
        // Under 1,024 descriptors with a backlog of 16 (so a burst margin of 2 × 128 + 64 = 320
        // connections), the loop starts far from the limit, with one multishot accept.
        using var server = CliProcess.StartUnder("ulimit -n 1024", "serve", "echo", "--port", "0", "--engine", "uring", "--loops", "1", "--backlog", "16", "--log-level", "debug");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        static bool Near(string line) => line.Contains("near the descriptor limit", StringComparison.Ordinal);
        static bool FarAgain(string line) => line.Contains("far from the descriptor limit again", StringComparison.Ordinal);

        var clients = new List<TestClient>();
        try
        {
            // One after another, each served, until the loop is near the limit; then a few more,
            // served by the accepts made one at a time.
            while (!server.StderrLines.Snapshot().Any(Near))
            {
                Assert.True(clients.Count < 1024, "the loop never said it was near the limit");
                clients.Add(await TestClient.ConnectAsync(endPoint));
                await clients[^1].AssertEchoesAsync($"client {clients.Count}");
            }

            Assert.True(clients.Count > 100, $"near the limit after only {clients.Count} clients: it should start far from it");
            for (int i = 0; i < 20; i++)
            {
                clients.Add(await TestClient.ConnectAsync(endPoint));
                await clients[^1].AssertEchoesAsync($"near {i}");
            }
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }

        // With them gone, the loop is far from the limit again: once the accepts it armed one at a
        // time have each taken a client, it goes back to one multishot.
        for (int i = 0; !server.StderrLines.Snapshot().Any(FarAgain); i++)
        {
            Assert.True(i < 100, "the loop never went back to a multishot accept");
            using var client = await TestClient.ConnectAsync(endPoint);
            await client.AssertEchoesAsync($"far {i}");
        }

        Assert.Single(server.StderrLines.Snapshot(), Near);
        await server.StopGracefullyAsync();
    }
}
