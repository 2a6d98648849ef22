using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>A busy worker that stops making progress past the idle timeout is killed by the parent and replaced.</summary>
[Collection(NonParallel.Name)]
public sealed class ForkingHangTests
{
    private const int SigStop = 19;

    [Fact]
    public async Task The_parent_kills_a_busy_worker_that_stops_reporting_past_the_idle_timeout()
    {
        using var server = CliProcess.Start("serve", "echo", "--port", "0", "--engine", "forking", "--workers", "1..2", "--idle-timeout", "1");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        using var victim = await TestClient.ConnectAsync(endPoint);
        await victim.SendAsync("before\n");
        Assert.Equal("before", await victim.ReadLineAsync());
        int worker = await server.WorkerServingAsync(victim);

        // A stopped worker cannot judge itself hung: only the parent can.
        Assert.True(CliProcess.Signal(worker, SigStop));

        await server.StderrLines.WaitUntilAsync(l => l.Any(x => x.Contains($"Worker {worker} is hung", StringComparison.Ordinal)));
        await server.StderrLines.WaitUntilAsync(l => l.Any(x => x.Contains($"Worker {worker} died (killed by signal 9) while serving a connection: only that connection is lost", StringComparison.Ordinal)));
        Assert.True(await victim.WaitForCloseAsync());
        using var next = await TestClient.ConnectAsync(endPoint);
        await next.SendAsync("after\n");
        Assert.Equal("after", await next.ReadLineAsync());
        Assert.Single(server.StderrLines.Snapshot(), x => x.Contains("is hung", StringComparison.Ordinal));
        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync());
    }
}
