using System.Net;

namespace Switchboard.Tests.Support;

/// <summary>
/// Clients of <c>serve echo</c> held open one after another until the server refuses one: how the
/// tests of a server's limits (descriptors, threads) fill it up and check it serves again after.
/// </summary>
public sealed class EchoClients : IDisposable
{
    private readonly List<TestClient> _clients = [];

    /// <summary>The clients connected, the refused one last if there was one.</summary>
    public IReadOnlyList<TestClient> Clients => _clients;

    /// <summary>What the first client not echoed was told, or null if all <c>max</c> were echoed.</summary>
    public string? Refusal { get; private set; }

    /// <summary>Connects clients one at a time, each echoed once, until one is not (or <paramref name="max"/> are).</summary>
    public static async Task<EchoClients> ConnectUntilRefusedAsync(IPEndPoint endPoint, int max)
    {
        var clients = new EchoClients();
        try
        {
            for (int i = 0; i < max && clients.Refusal is null; i++)
            {
                var client = await TestClient.ConnectAsync(endPoint);
                clients._clients.Add(client);
                await client.SendAsync("ping\n");
                string? line = await client.ReadLineAsync();
                if (line != "ping")
                    clients.Refusal = line;
            }

            return clients;
        }
        catch
        {
            clients.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Once these clients are closed and the server has logged each held one's disconnect, a new
    /// client is served: the room the limit left has come back. Stops the server, which must exit 0.
    /// </summary>
    public async Task CloseAndAssertServedAgainAsync(CliProcess server, IPEndPoint endPoint)
    {
        int held = _clients.Count - (Refusal is null ? 0 : 1);
        Dispose();
        await AssertServedAgainAsync(server, endPoint, held);
    }

    /// <summary>
    /// Once the server has logged <paramref name="disconnects"/> disconnects (the clients it held,
    /// closed by the caller), a new client is served. Stops the server, which must exit 0.
    /// </summary>
    public static async Task AssertServedAgainAsync(CliProcess server, IPEndPoint endPoint, int disconnects)
    {
        await server.StderrLines.WaitUntilAsync(l => l.Count(x => x.Contains(" disconnected (", StringComparison.Ordinal)) >= disconnects);

        // A connection is logged as disconnected a moment before its thread ends or its socket is
        // closed: a client in that moment may still be refused. Each refusal is the cue to try
        // again, until the room shows (bounded by the deadline).
        var deadline = DateTime.UtcNow + Timeouts.Patient;
        string? answer;
        do
        {
            using var after = await TestClient.ConnectAsync(endPoint);
            await after.SendAsync("served again\n");
            answer = await after.ReadLineAsync();
        }
        while (answer is not null && answer.StartsWith("error: server out of ", StringComparison.Ordinal) && DateTime.UtcNow < deadline);
        Assert.Equal("served again", answer);
        await server.StopGracefullyAsync();
        Assert.DoesNotContain("Out of memory", server.Stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        foreach (var client in _clients)
            client.Dispose();
    }
}
