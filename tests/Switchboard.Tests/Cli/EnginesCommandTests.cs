using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

public sealed class EnginesCommandTests
{
    [Fact]
    public async Task Lists_every_engine_and_whether_it_runs_here()
    {
        var (code, stdout, _) = await CliProcess.RunAsync("engines");

        Assert.Equal(0, code);
        string[] lines = stdout.TrimEnd().Split('\n');
        Assert.Equal(8, lines.Length);
        Assert.Matches(@"^iterative\s+yes\s+one connection at a time", lines[0]);
        Assert.Matches(@"^threading\s+yes\s+a thread per connection", lines[1]);
        Assert.Matches(@"^forking\s+yes\s+a worker process per connection", lines[2]);
        Assert.Matches(@"^async\s+yes\s+.*\)$", lines[3]);
        Assert.DoesNotContain("(default)", lines[3], StringComparison.Ordinal);
        Assert.Matches(@"^select\s+yes\s+one loop thread, Socket.Select", lines[4]);
        Assert.Matches(@"^poll\s+yes\s+one loop thread, poll\(2\)", lines[5]);
        Assert.Matches(@"^epoll\s+yes\s+a loop thread per core", lines[6]);
        Assert.DoesNotContain("(default)", lines[6], StringComparison.Ordinal);
        Assert.Matches(@"^uring\s+yes\s+a loop thread per core \(--loops\), each over its own io_uring.*\(default\)$", lines[7]); // this machine's kernel allows it: the default
    }

    [Fact]
    public async Task Help_explains_the_commands()
    {
        var (code, stdout, _) = await CliProcess.RunAsync("serve", "--help");

        Assert.Equal(0, code);
        foreach (string option in new[] { "--engine", "--host", "--port", "--max-connections", "--max-pending", "--max-line", "--idle-timeout", "--interval", "--utc" })
            Assert.Contains(option, stdout, StringComparison.Ordinal);
    }
}
