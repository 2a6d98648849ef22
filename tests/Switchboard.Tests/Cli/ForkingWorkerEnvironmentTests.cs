using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>A malformed worker variable is one clear line and a failure exit, not a stack trace.</summary>
[Collection(NonParallel.Name)]
public sealed class ForkingWorkerEnvironmentTests
{
    [Fact]
    public async Task A_malformed_worker_variable_is_one_clear_line()
    {
        using var cli = CliProcess.StartUnder("export SWITCHBOARD_FORKING_WORKER=x", "engines");

        int code = await cli.WaitForExitAsync();

        Assert.NotEqual(0, code);
        string stderr = cli.Stderr.Trim();
        Assert.Single(stderr.Split('\n'));
        Assert.Contains("SWITCHBOARD_FORKING_WORKER='x' is not LISTENER_FD,CONTROL_FD,PARENT_PID,LISTENER_NAME;", stderr, StringComparison.Ordinal);
    }
}
