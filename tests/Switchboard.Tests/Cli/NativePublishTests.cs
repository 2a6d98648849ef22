using System.Diagnostics;
using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// The NativeAOT executable the README offers for forking servers (<c>dotnet publish
/// src/Switchboard.Cli -p:PublishProfile=native</c>): it publishes from this checkout, and serves,
/// its workers the native program too. Needs clang and zlib1g-dev (test.sh installs them). Run
/// alone: the publish takes both cores for a minute.
/// </summary>
[Collection(NonParallel.Name)]
public sealed class NativePublishTests : IDisposable
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(10);

    private readonly string _out = Path.Combine(Path.GetTempPath(), $"switchboard-native-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_out))
            Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public async Task The_native_executable_publishes_and_serves_on_forking_with_native_workers()
    {
        var start = new ProcessStartInfo(CliProcess.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // No build server or compiler server left behind: one would inherit the output pipes and
        // keep them open after the publish has exited.
        foreach (string arg in (string[])["publish", Path.Combine(Repository.Root, "src", "Switchboard.Cli"), "-p:PublishProfile=native", $"-p:PublishDir={_out}/",
                     "--nologo", "-nodeReuse:false", "-p:UseSharedCompilation=false"])
            start.ArgumentList.Add(arg);
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        using (var publish = Process.Start(start)!)
        {
            var stdout = publish.StandardOutput.ReadToEndAsync();
            var stderr = publish.StandardError.ReadToEndAsync();
            await publish.WaitForExitAsync().WaitAsync(PublishTimeout);
            if (publish.ExitCode != 0)
            {
                string output = await stdout.WaitAsync(Timeouts.Quick) + await stderr.WaitAsync(Timeouts.Quick);
                Assert.Fail($"dotnet publish exited {publish.ExitCode}: {output}");
            }
        }

        string program = Path.Combine(_out, "switchboard");
        Assert.False(File.Exists(Path.Combine(_out, "switchboard.dll")), "a native executable has no managed assembly beside it");
        using var server = CliProcess.StartTool(program, "serve", "time", "--port", "0", "--engine", "forking", "--workers", "1..4");
        var (endPoint, _) = await server.ReadListeningLineAsync();
        var clients = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => TestClient.ConnectAsync(endPoint)));
        try
        {
            foreach (var client in clients)
                Assert.Matches(@" \d{4}$", await client.ReadLineAsync()); // its first time line, ending with the year
            int worker = await server.WorkerServingAsync(clients[0]);
            Assert.Equal(program, new FileInfo($"/proc/{worker}/exe").LinkTarget);
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }

        await server.StopGracefullyAsync();
    }
}
