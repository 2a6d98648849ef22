using System.Globalization;
using System.Net;
using Switchboard.Hosting;
using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// A forking worker that stops reading its messages while its room keeps talking: the parent
/// drops it once more than its bound is queued, and its member leaves as too slow, as a member
/// who falls that far behind in one process does; not with "the server is shutting down".
/// </summary>
[Collection(NonParallel.Name)]
public sealed class ForkingDroppedWorkerTests
{
    private const int SigStop = 19, SigCont = 18;

    [Fact]
    public async Task A_worker_that_stops_reading_its_messages_loses_its_member_as_too_slow_and_the_room_is_told()
    {
        using var server = CliProcess.Start("serve", "chat", "--port", "0", "--engine", "forking", "--workers", "3..6", "--rate", "100000");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        using var carol = await JoinAsync(endPoint, "carol");
        using var bob = await JoinAsync(endPoint, "bob");
        using var dave = await JoinAsync(endPoint, "dave");
        await carol.ReadUntilAsync("*** dave joined #lobby (3 here)");

        int worker = WorkerServing(server.Pid, endPoint.Port, ((IPEndPoint)carol.Socket.LocalEndPoint!).Port);
        Assert.True(CliProcess.Signal(worker, SigStop), $"cannot stop worker {worker}");
        try
        {
            // Past the parent's bound for carol's worker, in lines bob says (none comes back to him).
            string text = new('x', 480);
            int lines = (int)(WorkerChannel.CapacityBytes / text.Length) + 2000;
            await bob.SendAsync(string.Concat(Enumerable.Range(0, lines).Select(i => $"{i} {text}\n")));
            await dave.ReadUntilAsync($"<bob> {lines - 1} {text}");
        }
        finally
        {
            CliProcess.Signal(worker, SigCont);
        }

        await dave.ReadUntilAsync("*** carol left (too slow)");
        Assert.DoesNotContain(await LinesUntilClosedAsync(carol), l => l.Contains("shutting down", StringComparison.Ordinal));
        await server.StopGracefullyAsync();
    }

    /// <summary>What the client reads until the server closes (a slow consumer's close is a reset).</summary>
    private static async Task<List<string>> LinesUntilClosedAsync(TestClient client)
    {
        var lines = new List<string>();
        try
        {
            while (await client.ReadLineAsync(Timeouts.Patient) is { } line)
                lines.Add(line);
        }
        catch (System.Net.Sockets.SocketException)
        {
        }

        return lines;
    }

    private static async Task<TestClient> JoinAsync(IPEndPoint endPoint, string nick)
    {
        var client = await TestClient.ConnectAsync(endPoint);
        await client.SendAsync($"/nick {nick}\n");
        await client.ReadUntilAsync($"*** you are {nick}", prefix: true);
        return client;
    }

    /// <summary>The worker holding the server's end of the connection from <paramref name="clientPort"/>.</summary>
    private static int WorkerServing(int parent, int serverPort, int clientPort)
    {
        string local = $":{serverPort:X4}", remote = $":{clientPort:X4}";
        string? inode = File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(f => f[1].EndsWith(local, StringComparison.Ordinal) && f[2].EndsWith(remote, StringComparison.Ordinal))?[9];
        Assert.NotNull(inode);
        foreach (int child in ProcessTree.ChildrenOf(parent))
        {
            foreach (string fd in Directory.GetFiles($"/proc/{child}/fd"))
            {
                if (new FileInfo(fd).LinkTarget == $"socket:[{inode}]")
                    return child;
            }
        }

        Assert.Fail($"no worker of {parent.ToString(CultureInfo.InvariantCulture)} holds the connection from port {clientPort}");
        return 0;
    }
}
