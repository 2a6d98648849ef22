using System.Text.RegularExpressions;
using Switchboard.Hosting;
using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>Workers that cannot start: the pool backs off instead of restarting them in a tight loop, and keeps serving.</summary>
[Collection(NonParallel.Name)]
public sealed partial class ForkingStartFailureTests
{
    [Fact]
    public async Task A_worker_that_cannot_start_is_retried_with_back_off_and_the_pool_recovers()
    {
        // A private copy of the program, so its switchboard.dll can be taken away while the parent runs.
        var directory = Directory.CreateTempSubdirectory("switchboard-forking-");
        try
        {
            foreach (string file in Directory.GetFiles(AppContext.BaseDirectory))
                File.CreateSymbolicLink(Path.Combine(directory.FullName, Path.GetFileName(file)), file);
            string program = Path.Combine(directory.FullName, "switchboard.dll");
            File.Delete(program);
            File.Copy(Path.Combine(AppContext.BaseDirectory, "switchboard.dll"), program);
            using var server = CliProcess.StartUnder($"shift && set -- '{program}' \"$@\"", "serve", "echo", "--port", "0", "--engine", "forking", "--workers", "1..1");
            var (endPoint, _) = await server.ReadListeningLineAsync();
            using (var first = await TestClient.ConnectAsync(endPoint))
            {
                await first.SendAsync("up\n");
                Assert.Equal("up", await first.ReadLineAsync());
                File.Delete(program);
                Assert.True(CliProcess.Signal(await server.WorkerServingAsync(first), 9));
                Assert.True(await first.WaitForCloseAsync());
            }

            var lines = await server.StderrLines.WaitUntilAsync(l => l.Count(x => FailedStart().IsMatch(x)) >= 3);
            var waits = lines.Select(x => FailedStart().Match(x)).Where(m => m.Success).Select(m => m.Groups["seconds"].Value).Take(3);
            Assert.Equal(["1", "2", "4"], waits);

            File.Copy(Path.Combine(AppContext.BaseDirectory, "switchboard.dll"), program);
            using var next = await TestClient.ConnectAsync(endPoint);
            await next.SendAsync("served again\n");
            Assert.Equal("served again", await next.ReadLineAsync().WaitAsync(Timeouts.Patient));
            server.Terminate();
            Assert.Equal(0, await server.WaitForExitAsync());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(0, true, true, "exit code 0")]
    [InlineData(154, true, true, "exit code 154")]
    [InlineData(137, false, true, "killed by signal 9")]
    [InlineData(3, false, true, "exit code 3")]
    [InlineData(154, false, false, "exit status 154: exit code 154, or killed by signal 26")]
    public void Exit_codes_are_told_from_signals(int status, bool saidGoodbye, bool cameUp, string expected) =>
        Assert.Equal(expected, WorkerExit.Describe(status, saidGoodbye, cameUp));

    [Fact]
    public void Back_off_doubles_up_to_thirty_seconds_and_resets_when_a_worker_comes_up()
    {
        var backOff = new StartBackOff();
        Assert.Equal(TimeSpan.Zero, backOff.Remaining);
        var waits = Enumerable.Range(0, 7).Select(_ => backOff.Failed().TotalSeconds).ToArray();
        Assert.Equal([1, 2, 4, 8, 16, 30, 30], waits);
        Assert.True(backOff.Remaining > TimeSpan.Zero);

        backOff.Succeeded();

        Assert.Equal(TimeSpan.Zero, backOff.Remaining);
        Assert.Equal(1, backOff.Failed().TotalSeconds);
    }

    [GeneratedRegex(@"Worker \d+ failed to start \(.*\); next start in (?<seconds>\d+) s")]
    private static partial Regex FailedStart();
}
