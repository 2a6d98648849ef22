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
    public async Task At_the_descriptor_limit_clients_are_refused_with_a_line_and_the_server_keeps_serving(string engine)
    {
        // The runtime itself holds about a hundred descriptors; 160 leaves room for a few dozen clients.
        using var server = CliProcess.StartUnder($"ulimit -n 160", "serve", "echo", "--port", "0", "--engine", engine);
        var (endPoint, _) = await server.ReadListeningLineAsync();

        var clients = new List<TestClient>();
        string? refusal = null;
        try
        {
            for (int i = 0; i < 150 && refusal is null; i++)
            {
                var client = await TestClient.ConnectAsync(endPoint);
                clients.Add(client);
                await client.SendAsync("ping\n");
                string? line = await client.ReadLineAsync();
                if (line != "ping")
                    refusal = line;
            }

            Assert.Equal("error: server out of file descriptors; try again later", refusal);
            await server.StderrLines.WaitUntilAsync(l => l.Any(x => x.Contains(": server out of file descriptors", StringComparison.Ordinal)));
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }

        await server.StderrLines.WaitUntilAsync(l => l.Count(x => x.Contains(" disconnected (", StringComparison.Ordinal)) >= clients.Count - 1);
        using var after = await TestClient.ConnectAsync(endPoint);
        await after.SendAsync("served again\n");
        Assert.Equal("served again", await after.ReadLineAsync());
        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync());
    }
}
