using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// contrib/switchboard.service, .socket and .json as a service manager would run them, without a
/// running systemd: <c>systemd-analyze verify</c> reads the units, and the service's own
/// ExecStart runs under <c>systemd-socket-activate</c> with the socket unit's name and a
/// <c>NOTIFY_SOCKET</c> of the test's, through start, a client, a reload and a stop. Only the
/// paths differ: the tool is the one just built, and the settings file a copy whose ports are free.
/// </summary>
public sealed class UnitFilesTests : IDisposable
{
    private const string Activate = "/usr/bin/systemd-socket-activate";
    private const string Analyze = "/usr/bin/systemd-analyze";

    private readonly string _directory = Directory.CreateTempSubdirectory("sb-units-").FullName;
    private readonly NotifySocket _notify = new();

    private static string Contrib => Path.Combine(Repository.Root, "contrib");

    public void Dispose()
    {
        _notify.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Systemd_analyze_verifies_the_units()
    {
        Assert.True(File.Exists(Analyze), $"{Analyze} is missing: ./test.sh installs it (Debian package systemd)");

        // The service names where the tool is installed; here it is not: point at a program that is.
        string service = Path.Combine(_directory, "switchboard.service");
        File.WriteAllText(service, File.ReadAllText(Path.Combine(Contrib, "switchboard.service")).Replace("/usr/local/bin/switchboard", "/bin/true", StringComparison.Ordinal));
        File.Copy(Path.Combine(Contrib, "switchboard.socket"), Path.Combine(_directory, "switchboard.socket"));

        var (code, output) = await RunAsync(Analyze, "verify", service, Path.Combine(_directory, "switchboard.socket"));
        Assert.True(code == 0, $"systemd-analyze verify: exit {code}\n{output}");
    }

    [Fact]
    public async Task The_service_runs_as_written_on_the_socket_unit_and_tells_the_manager_each_step()
    {
        Assert.True(File.Exists(Activate), $"{Activate} is missing: ./test.sh installs it (Debian package systemd)");
        var unit = UnitFile.Read(Path.Combine(Contrib, "switchboard.service"));
        var socketUnit = UnitFile.Read(Path.Combine(Contrib, "switchboard.socket"));
        Assert.Equal("notify", unit["Type"]);
        Assert.Equal("/bin/kill -HUP $MAINPID", unit["ExecReload"]);

        // ExecStart as written, but for the tool's path and the settings file's.
        string[] exec = unit["ExecStart"].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("/usr/local/bin/switchboard", exec[0]);
        int config = Array.IndexOf(exec, "--config") + 1;
        Assert.Equal("/etc/switchboard/switchboard.json", exec[config]);
        var settings = JsonNode.Parse(File.ReadAllText(Path.Combine(Contrib, "switchboard.json")))!.AsObject();
        settings["metrics"] = "127.0.0.1:0";
        exec[config] = Path.Combine(_directory, "switchboard.json");
        File.WriteAllText(exec[config], settings.ToJsonString());

        var address = new IPEndPoint(IPAddress.Loopback, ManagedSockets.FreePort());
        Assert.StartsWith("127.0.0.1:", socketUnit["ListenStream"]);
        double watchdog = double.Parse(unit["WatchdogSec"].TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture);
        using var cli = CliProcess.StartThrough(
            [Activate, "-l", address.ToString(), "--fdname", socketUnit["FileDescriptorName"],
             "-E", $"NOTIFY_SOCKET={_notify.Path}", "-E", $"WATCHDOG_USEC={(long)(watchdog * 1_000_000)}"],
            exec[1..]);

        using (var client = await ManagedSockets.ConnectWhenListeningAsync(address))
        {
            await client.ReadUntilAsync("*** welcome", prefix: true); // the chat, on the socket unit's socket
            await client.SendAsync("/nick alice\n");
            await client.ReadUntilAsync("*** alice joined #lobby", prefix: true);
        }

        var messages = new List<string>();
        await _notify.ReceiveUntilAsync(messages, m => m == $"READY=1\nSTATUS=listening on {address} (chat, epoll)");
        Assert.True(CliProcess.Signal(cli.Pid, 1)); // ExecReload: kill -HUP $MAINPID
        await _notify.ReceiveUntilAsync(messages, m => m.StartsWith("RELOADING=1", StringComparison.Ordinal));
        await _notify.ReceiveUntilAsync(messages, m => m.StartsWith("READY=1", StringComparison.Ordinal));
        await cli.StopGracefullyAsync(); // systemctl stop: SIGTERM
        await _notify.ReceiveUntilAsync(messages, m => m == "STOPPING=1");
        await cli.StderrLines.WaitUntilAsync(l => l.Any(x => x == "<6>Switchboard.Cli[106] Reloaded: nothing changed"));
    }

    private static async Task<(int Code, string Output)> RunAsync(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = await process.StandardError.ReadToEndAsync().WaitAsync(Timeouts.Patient);
        await process.WaitForExitAsync().WaitAsync(Timeouts.Patient);
        return (process.ExitCode, await stdout + stderr);
    }

    /// <summary>A unit file's settings, KEY=VALUE, the last of each key (enough for these units).</summary>
    private sealed class UnitFile(Dictionary<string, string> settings)
    {
        public string this[string key] => settings.TryGetValue(key, out string? value) ? value : throw new KeyNotFoundException($"the unit has no {key}=");

        public static UnitFile Read(string path) => new(File.ReadAllLines(path)
            .Where(line => line.Length > 0 && line[0] is not ('#' or ';' or '[') && line.Contains('=', StringComparison.Ordinal))
            .Select(line => (Key: line[..line.IndexOf('=', StringComparison.Ordinal)], Value: line[(line.IndexOf('=', StringComparison.Ordinal) + 1)..]))
            .GroupBy(pair => pair.Key)
            .ToDictionary(group => group.Key, group => group.Last().Value));
    }
}
