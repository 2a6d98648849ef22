using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// The threading engine under a real limit on tasks, as systemd's <c>TasksMax</c> or a container's
/// <c>pids.max</c> sets one: a control group of its own (this needs root, as the test machines run).
/// </summary>
[Collection(NonParallel.Name)]
public sealed class ThreadLimitTests
{
    [Fact]
    public async Task Under_a_limit_on_tasks_clients_past_it_are_refused_with_a_line_and_the_server_keeps_serving()
    {
        using var group = PidsControlGroup.Create();
        // The runtime starts about twenty threads and the budget keeps 64 for it: room for some forty clients.
        group.Limit(130);
        using var server = CliProcess.StartUnder($"echo $$ > {group.Path}/cgroup.procs", "serve", "echo", "--port", "0", "--engine", "threading");
        var (endPoint, _) = await server.ReadListeningLineAsync();

        using var clients = await EchoClients.ConnectUntilRefusedAsync(endPoint, 130);
        Assert.Equal("error: server out of threads; try again later", clients.Refusal);
        Assert.InRange(clients.Clients.Count, 10, 130);
        await server.StderrLines.WaitUntilAsync(l => l.Any(x => x.Contains("Out of threads: the control group's pids.max leaves no room", StringComparison.Ordinal)));

        // Those already in are still served; their threads gone, there is room again.
        await clients.Clients[0].AssertEchoesAsync("still here");
        await clients.CloseAndAssertServedAgainAsync(server, endPoint);
    }

    /// <summary>A control group with the pids controller, removed again when disposed (once its processes have exited).</summary>
    private sealed class PidsControlGroup : IDisposable
    {
        private PidsControlGroup(string path) => Path = path;

        public string Path { get; }

        public static PidsControlGroup Create()
        {
            // cgroup v1 mounts the controller on its own; v2 has one tree, with pids enabled for children.
            string? root = Directory.Exists("/sys/fs/cgroup/pids") ? "/sys/fs/cgroup/pids"
                : File.Exists("/sys/fs/cgroup/cgroup.subtree_control") && File.ReadAllText("/sys/fs/cgroup/cgroup.subtree_control").Split(' ', '\n').Contains("pids") ? "/sys/fs/cgroup"
                : null;
            Assert.True(root is not null, "this test needs the pids control group controller (/sys/fs/cgroup/pids, or pids in cgroup v2's subtree_control)");
            string path = System.IO.Path.Combine(root, $"switchboard-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
            try
            {
                Directory.CreateDirectory(path);
            }
            catch (UnauthorizedAccessException e)
            {
                Assert.Fail($"this test needs to create a control group under {root} (run as root): {e.Message}");
            }

            return new PidsControlGroup(path);
        }

        public void Limit(int tasks) => File.WriteAllText(System.IO.Path.Combine(Path, "pids.max"), tasks.ToString(System.Globalization.CultureInfo.InvariantCulture));

        /// <summary>Removes the group; the server started in it is disposed first (CliProcess waits for its exit), so it is empty.</summary>
        public void Dispose()
        {
            try
            {
                Directory.Delete(Path);
            }
            catch (IOException)
            {
                // still not empty: the kernel removes nothing, the directory stays until someone rmdirs it
            }
        }
    }
}
