using System.Text.RegularExpressions;
using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// What is the forking engine's alone (crash isolation, recycling, the pool's limits, the
/// executable's own workers), through the real executable: its workers are that program started
/// again, serving the apps. The contract's clauses run in Engines/ForkingConformanceTests.
/// </summary>
[Collection(NonParallel.Name)]
public sealed partial class ForkingEngineTests
{
    private const int SigKill = 9;
    private const int CloseOnExec = 0x80000; // O_CLOEXEC, as /proc/PID/fdinfo shows it (octal 02000000)

    [Fact]
    public async Task A_killed_worker_ends_only_its_own_connection_and_is_replaced()
    {
        using var server = CliProcess.Start("serve", "echo", "--port", "0", "--engine", "forking", "--workers", "2..4");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        using var victim = await TestClient.ConnectAsync(endPoint);
        using var survivor = await TestClient.ConnectAsync(endPoint);
        await victim.AssertEchoesAsync("first");
        await survivor.AssertEchoesAsync("second");
        int victimWorker = await server.WorkerServingAsync(victim);

        Assert.True(CliProcess.Signal(victimWorker, SigKill));

        Assert.True(await victim.WaitForCloseAsync());
        await server.StderrLines.WaitUntilAsync(l => l.Any(x => x.Contains($"Worker {victimWorker} died (killed by signal 9)", StringComparison.Ordinal)));
        await survivor.AssertEchoesAsync("still here");
        using var next = await TestClient.ConnectAsync(endPoint);
        await next.AssertEchoesAsync("a new client is served");
        await server.StopGracefullyAsync();
    }

    [Fact]
    public async Task With_every_worker_busy_the_next_connection_waits_its_turn()
    {
        using var server = CliProcess.Start("serve", "echo", "--port", "0", "--engine", "forking", "--workers", "1..2");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        var first = await TestClient.ConnectAsync(endPoint);
        using var second = await TestClient.ConnectAsync(endPoint);
        await first.AssertEchoesAsync("one");
        await second.AssertEchoesAsync("two");

        using var third = await TestClient.ConnectAsync(endPoint); // accepted by the kernel, waiting in the backlog
        await third.SendAsync("three\n");
        first.Dispose();

        Assert.Equal("three", await third.ReadLineAsync());
        await server.StopGracefullyAsync();
    }

    [Fact]
    public async Task Silent_clients_holding_every_worker_make_newcomers_refused_with_a_line_not_wait_forever()
    {
        // No idle timeout: two clients that never send anything hold both workers for good.
        using var server = CliProcess.Start("serve", "echo", "--port", "0", "--engine", "forking", "--workers", "1..2");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        var silent = new[] { await TestClient.ConnectAsync(endPoint), await TestClient.ConnectAsync(endPoint) };
        await server.StderrLines.WaitUntilAsync(l => l.Count(x => x.Contains("Got connection from", StringComparison.Ordinal)) == 2);

        using var newcomer = await TestClient.ConnectAsync(endPoint);
        Assert.Equal("error: server full (2 connections); try again later", await newcomer.ReadLineAsync());
        Assert.Null(await newcomer.ReadLineAsync());
        using var another = await TestClient.ConnectAsync(endPoint);
        Assert.Equal("error: server full (2 connections); try again later", await another.ReadLineAsync());
        await server.StderrLines.WaitUntilAsync(l => l.Count(x => x.Contains("All 2 workers busy for 1 s: refusing new clients until one is free", StringComparison.Ordinal)) == 1);

        // A worker free again serves the next client at once.
        silent[0].Dispose();
        await server.StderrLines.WaitUntilAsync(l => l.Any(x => x.Contains("A worker is free again after", StringComparison.Ordinal) && x.Contains("; clients refused meanwhile: 2", StringComparison.Ordinal)));
        using var served = await TestClient.ConnectAsync(endPoint);
        await served.AssertEchoesAsync("served");
        silent[1].Dispose();
        await server.StopGracefullyAsync();
    }

    [Fact]
    public async Task A_worker_passes_on_none_of_its_descriptors_to_programs_it_starts()
    {
        // What a worker inherits (the listener, its control channel) is for it alone: a program
        // it started holding the listener would keep the port open after the server closed it.
        using var server = CliProcess.Start("serve", "echo", "--port", "0", "--engine", "forking", "--workers", "1..1");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        using var client = await TestClient.ConnectAsync(endPoint);
        await client.AssertEchoesAsync("up");
        int worker = await server.WorkerServingAsync(client);

        // Its sockets, that is: other descriptors may come from whoever started the server.
        var inheritable = Directory.GetFiles($"/proc/{worker}/fdinfo")
            .Where(f => new FileInfo($"/proc/{worker}/fd/{Path.GetFileName(f)}").LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true)
            .Select(f => (Fd: Path.GetFileName(f), Flags: Convert.ToInt32(File.ReadLines(f).First(l => l.StartsWith("flags:", StringComparison.Ordinal))[6..].Trim(), 8)))
            .Where(d => (d.Flags & CloseOnExec) == 0)
            .Select(d => d.Fd);

        Assert.Empty(inheritable);
        await server.StopGracefullyAsync();
    }

    [Fact]
    public async Task A_client_that_outstays_the_shutdown_timeout_does_not_fail_the_parents_exit()
    {
        // The worker gets the shutdown timeout for its goodbye, then the time to close and exit:
        // the parent waits for that, and exits 0, as every other engine does.
        using var server = CliProcess.Start("serve", "chat", "--port", "0", "--engine", "forking", "--workers", "1..2", "--shutdown-timeout", "1");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        using var client = await TestClient.ConnectAsync(endPoint);
        await client.SendAsync("/nick stayer\n");
        await server.WorkerServingAsync(client);

        await server.StopGracefullyAsync(); // the client never closes its end

        Assert.DoesNotContain("unexpected error", server.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Workers_are_recycled_after_their_quota_of_connections()
    {
        using var server = CliProcess.Start("serve", "echo", "--port", "0", "--engine", "forking", "--workers", "1..2", "--connections-per-worker", "1");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        var workers = new List<int>();
        for (int i = 0; i < 3; i++)
        {
            using var client = await TestClient.ConnectAsync(endPoint);
            await client.AssertEchoesAsync($"client {i}");
            workers.Add(await server.WorkerServingAsync(client));
        }

        Assert.Equal(3, workers.Distinct().Count());
        await server.StderrLines.WaitUntilAsync(l => l.Any(x => x.Contains("Served 1 connection; retiring", StringComparison.Ordinal)));
        await server.StopGracefullyAsync();
    }

    [Fact]
    public async Task Clients_arriving_together_have_workers_started_for_those_waiting_not_one_spare_at_a_time()
    {
        using var server = CliProcess.Start("serve", "time", "--port", "0", "--engine", "forking", "--workers", "1..8", "--log-level", "debug");
        var (endPoint, _) = await server.ReadListeningLineAsync();

        // Six at once against one spare: the pool sees them waiting in the accept queue and starts
        // workers for them, instead of one more each time the spare is taken.
        var clients = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => TestClient.ConnectAsync(endPoint)));
        try
        {
            foreach (var client in clients)
                Assert.Matches(@" \d{4}$", await client.ReadLineAsync()); // its first time line, ending with the year
            Assert.Contains(server.StderrLines.Snapshot(), l => WaitingClientsLine().IsMatch(l));
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }

        await server.StopGracefullyAsync();
    }

    [Fact]
    public async Task Shutdown_lets_workers_say_goodbye_and_leaves_no_process_behind()
    {
        using var server = CliProcess.Start("serve", "time", "--port", "0", "--engine", "forking", "--interval", "0.1", "--workers", "2..3");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        using var client = await TestClient.ConnectAsync(endPoint);
        Assert.NotNull(await client.ReadLineAsync());
        var workers = await WorkerPidsAsync(server, atLeast: 2);

        await server.StopGracefullyAsync();

        Assert.True(await client.WaitForCloseAsync());
        Assert.All(workers, pid => Assert.False(IsAlive(pid), $"worker {pid} outlived its server"));
    }

    [Fact]
    public async Task Workers_do_not_outlive_a_killed_parent()
    {
        using var server = CliProcess.Start("serve", "echo", "--port", "0", "--engine", "forking", "--workers", "2..3");
        await server.ReadListeningLineAsync();
        var workers = await WorkerPidsAsync(server, atLeast: 2);

        Assert.True(CliProcess.Signal(server.Pid, SigKill));

        var deadline = DateTime.UtcNow + Timeouts.Quick;
        while (workers.Any(IsAlive) && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.All(workers, pid => Assert.False(IsAlive(pid), $"worker {pid} was orphaned"));
    }

    [Fact]
    public async Task Clients_that_leave_at_once_and_recycled_workers_leak_no_descriptors_or_processes()
    {
        using var server = CliProcess.Start("serve", "echo", "--port", "0", "--engine", "forking", "--workers", "2..4", "--connections-per-worker", "5");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        await WorkerPidsAsync(server, atLeast: 2);
        using (var warm = await TestClient.ConnectAsync(endPoint))
            await warm.AssertEchoesAsync("warm up");
        // The parent holds one control channel per live worker, and the pool's size moves between
        // MIN and MAX: compare descriptors beyond those.
        int descriptorsBefore = Directory.GetFiles($"/proc/{server.Pid}/fd").Length - Workers(server.Pid);

        for (int i = 0; i < 60; i++)
        {
            using var client = await TestClient.ConnectAsync(endPoint); // gone before a worker may take it
            if (i % 2 == 0)
                client.Reset();
        }

        using (var last = await TestClient.ConnectAsync(endPoint))
            await last.AssertEchoesAsync("still served");
        await server.StderrLines.WaitUntilAsync(l => l.Count(x => x.Contains("retiring", StringComparison.Ordinal)) >= 10);
        int workers = Workers(server.Pid);
        int descriptorsAfter = Directory.GetFiles($"/proc/{server.Pid}/fd").Length - workers;

        Assert.True(descriptorsAfter <= descriptorsBefore + 2, $"parent descriptors beyond its workers' channels: {descriptorsBefore} before, {descriptorsAfter} after");
        Assert.InRange(workers, 1, 4);
        await server.StopGracefullyAsync();
    }

    private static int Workers(int parent) => ProcessTree.ChildrenOf(parent).Count;

    [Fact]
    public async Task Chat_rooms_live_in_the_parent_and_span_workers()
    {
        using var server = CliProcess.Start("serve", "chat", "--port", "0", "--engine", "forking", "--workers", "2..4");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        using var alice = await TestClient.ConnectAsync(endPoint);
        using var bob = await TestClient.ConnectAsync(endPoint);
        await alice.SendAsync("/nick alice\n");
        await alice.ReadUntilAsync("*** you are alice, in #lobby");
        await bob.SendAsync("/nick bob\n");
        await bob.ReadUntilAsync("*** you are bob, in #lobby");
        Assert.NotEqual(await server.WorkerServingAsync(alice), await server.WorkerServingAsync(bob));

        await bob.SendAsync("hello from another process\n/msg alice psst\n");
        await alice.ReadUntilAsync("<bob> hello from another process");
        await alice.ReadUntilAsync("*bob* psst");
        await alice.SendAsync("/who\n");
        await alice.ReadUntilAsync("*** in #lobby: alice, bob");

        Assert.True(CliProcess.Signal(await server.WorkerServingAsync(bob), SigKill));
        await alice.ReadUntilAsync("*** bob quit (connection closed)");
        await server.StopGracefullyAsync();
    }

    [Fact]
    public async Task Print_logs_lines_with_the_workers_pid()
    {
        using var server = CliProcess.Start("serve", "print", "--port", "0", "--engine", "forking");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        using var client = await TestClient.ConnectAsync(endPoint);

        await client.SendAsync("from a worker\n");

        await server.StderrLines.WaitUntilAsync(l => l.Any(x => WorkerLine().IsMatch(x) && x.EndsWith(": from a worker", StringComparison.Ordinal)));
        await server.StopGracefullyAsync();
    }

    private static async Task<IReadOnlyList<int>> WorkerPidsAsync(CliProcess server, int atLeast)
    {
        var lines = await server.StderrLines.WaitUntilAsync(l => l.Count(x => StartedLine().IsMatch(x)) >= atLeast);
        return [.. lines.Select(x => StartedLine().Match(x)).Where(m => m.Success).Select(m => int.Parse(m.Groups["pid"].Value, System.Globalization.CultureInfo.InvariantCulture))];
    }

    private static bool IsAlive(int pid) =>
        File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2].Equals("Z", StringComparison.Ordinal);

    [GeneratedRegex(@"\[worker (?<pid>\d+)\] ")]
    private static partial Regex WorkerLine();

    [GeneratedRegex(@"Started worker (?<pid>\d+) ")]
    private static partial Regex StartedLine();

    [GeneratedRegex(@"\d+ clients wait for a worker and \d+ workers are idle or starting: starting [1-9]\d* more at once$")]
    private static partial Regex WaitingClientsLine();
}
