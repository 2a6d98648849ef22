using System.Net.Sockets;
using System.Text;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// <c>serve</c> under a service manager that asked to be told (systemd's <c>Type=notify</c>): a
/// datagram socket of the test's own stands in for systemd's <c>NOTIFY_SOCKET</c>.
/// </summary>
public sealed class ServiceNotificationTests : IDisposable
{
    private readonly NotifySocket _notify = new();

    [Fact]
    public async Task A_manager_that_does_not_read_loses_watchdog_messages_but_never_stalls_the_shutdown()
    {
        // 2 ms asks for a datagram every millisecond: the socket's queue (net.unix.max_dgram_qlen,
        // 10 by default) is full within a few, and full again a millisecond after each one read.
        using var cli = CliProcess.StartUnder($"export NOTIFY_SOCKET='{_notify.Path}' WATCHDOG_USEC=2000", "serve", "echo", "--port", "0");
        await cli.ReadListeningLineAsync();
        await _notify.ReceiveUntilAsync([], m => m == "WATCHDOG=1"); // it does send

        await cli.StopGracefullyAsync();
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("forking")]
    public async Task Ready_once_listening_watchdog_while_running_and_stopping_at_shutdown_from_the_parent_alone(string engine)
    {
        using var cli = CliProcess.StartUnder(
            $"export NOTIFY_SOCKET='{_notify.Path}' WATCHDOG_USEC=100000",
            "serve", "echo", "--port", "0", "--engine", engine, "--workers", "2..4");
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        var messages = new List<string>();
        await _notify.ReceiveUntilAsync(messages, m => m.StartsWith("READY=1", StringComparison.Ordinal));
        await _notify.ReceiveUntilAsync(messages, _ => messages.Count(m => m == "WATCHDOG=1") >= 2);

        await cli.StopGracefullyAsync();
        await _notify.ReceiveUntilAsync(messages, m => m == "STOPPING=1");

        Assert.Equal($"READY=1\nSTATUS=listening on {endPoint} (echo, {engine})", Assert.Single(messages, m => m.StartsWith("READY=1", StringComparison.Ordinal)));
        Assert.Single(messages, m => m == "STOPPING=1");
        Assert.All(messages, m => Assert.True(m is "WATCHDOG=1" or "STOPPING=1" || m.StartsWith("READY=1", StringComparison.Ordinal), m));
    }

    [Fact]
    public async Task A_reload_is_reloading_then_ready_again()
    {
        using var cli = CliProcess.StartUnder($"export NOTIFY_SOCKET='{_notify.Path}'", "serve", "echo", "--port", "0");
        var (endPoint, _) = await cli.ReadListeningLineAsync();
        var messages = new List<string>();
        await _notify.ReceiveUntilAsync(messages, m => m.StartsWith("READY=1", StringComparison.Ordinal));

        Assert.True(CliProcess.Signal(cli.Pid, 1)); // SIGHUP
        await _notify.ReceiveUntilAsync(messages, m => m.StartsWith("READY=1", StringComparison.Ordinal) && messages.Count > 1);

        Assert.Equal(3, messages.Count);
        Assert.Matches(@"^RELOADING=1\nMONOTONIC_USEC=\d+$", messages[1]);
        Assert.Equal($"READY=1\nSTATUS=listening on {endPoint} (echo, uring)", messages[2]);
        await cli.StderrLines.WaitUntilAsync(lines => lines.Any(l => l.Contains("Reloaded: nothing changed", StringComparison.Ordinal)));
        await cli.StopGracefullyAsync();
    }

    public void Dispose() => _notify.Dispose();
}
