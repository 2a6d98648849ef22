using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// The forking parent at a descriptor limit that leaves room for only a few workers (a .NET
/// process needs about a hundred for itself): it caps the pool, keeps serving, and does not abort.
/// </summary>
[Collection(NonParallel.Name)]
public sealed class ForkingDescriptorLimitTests
{
    [Fact]
    public async Task At_the_descriptor_limit_the_pool_is_capped_and_every_client_is_served_in_turn()
    {
        using var server = CliProcess.StartUnder("ulimit -Sn 112 && ulimit -Hn 112", "serve", "echo", "--port", "0", "--engine", "forking", "--workers", "2..40");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        await server.StderrLines.WaitUntilAsync(l => l.Any(x => x.Contains("At most ", StringComparison.Ordinal) && x.Contains("the open-files limit is 112", StringComparison.Ordinal)));

        var clients = new List<TestClient>();
        try
        {
            for (int i = 0; i < 11; i++)
            {
                var client = await TestClient.ConnectAsync(endPoint);
                clients.Add(client);
                await client.SendAsync($"client {i}\n");
            }

            // More clients than workers: each is served once one before it has left.
            for (int i = 0; i < clients.Count; i++)
            {
                Assert.Equal($"client {i}", await clients[i].ReadLineAsync());
                clients[i].Dispose();
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync());
        Assert.DoesNotContain("Out of memory", server.Stderr, StringComparison.Ordinal);
    }
}
