using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// The C floor, <c>bench/peers/epoll-echo.c</c>: the bench's refusals where it cannot run (no
/// compiler needed), the bench compiling and measuring it, and the server itself, compiled with
/// warnings as errors and talked to directly. The compiler is <c>cc</c> (gcc, which test.sh installs).
/// </summary>
[Collection(NonParallel.Name)]
public sealed partial class BenchCPeerTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), $"switchboard-bench-{Guid.NewGuid():N}");

    private static string Source => Path.Combine(Repository.Root, "bench", "peers", "epoll-echo.c");

    [Theory]
    [InlineData("chat", "", "switchboard-bench: the C epoll peer is an echo server: it runs echo, latency, connections and churn, not chat")]
    [InlineData("time", "", "switchboard-bench: the C epoll peer is an echo server: it runs echo, latency, connections and churn, not time")]
    [InlineData("latency", "--metrics", "switchboard-bench: the C epoll peer has no metrics endpoint: leave it out with --metrics")]
    [InlineData("echo", "--tls", "switchboard-bench: the C epoll peer has no TLS: leave it out with --tls")]
    public async Task The_c_peer_where_it_cannot_run_is_one_line_and_exit_code_2(string scenario, string flag, string message)
    {
        string[] flags = flag.Length > 0 ? [flag] : [];
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync([scenario, "--engines", "epoll,c-epoll", .. flags]);

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Equal(message + "\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_c_peer_path_that_is_neither_source_nor_program_is_one_line_and_exit_code_2()
    {
        Directory.CreateDirectory(_out);
        string text = Path.Combine(_out, "notes.txt");
        await File.WriteAllTextAsync(text, "not a program");

        var (code, stdout, stderr) = await CliProcess.RunBenchAsync("latency", "--engines", "c-epoll", "--c-peer", text);

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Equal($"switchboard-bench: --c-peer {text}: neither a C source (.c) nor an executable file (give bench/peers/epoll-echo.c, which the bench compiles with cc, or an epoll-echo built from it)\n",
            stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Without_cc_the_c_peer_is_one_line_naming_the_command_and_the_package_and_exit_code_1()
    {
        // PATH is the dotnet host's folder alone: the bench runs, and finds no cc.
        string host = DotnetHostPath();
        using var bench = CliProcess.StartTool("env", $"PATH={Path.GetDirectoryName(host)}", host,
            Path.Combine(AppContext.BaseDirectory, "switchboard-bench.dll"), "latency", "--engines", "c-epoll");

        Assert.Equal(1, await bench.WaitForExitAsync());
        string built = Path.Combine(AppContext.BaseDirectory, "epoll-echo");
        Assert.Equal($"switchboard-bench: the C epoll peer is compiled with 'cc -O2 -o {built} {Source}', and cc is not on PATH: " +
                     "install a C compiler (Debian/Ubuntu: sudo apt-get install gcc), or give --c-peer an epoll-echo built already\n",
            bench.Stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Help_describes_the_c_peer_and_its_option()
    {
        var (code, stdout, _) = await CliProcess.RunBenchAsync("--help");

        Assert.Equal(0, code);
        string text = Regex.Replace(stdout, @"\s+", " "); // undo the help's line wrapping
        Assert.Contains("'c-epoll', the C floor, a single-threaded epoll echo server in C (bench/peers/epoll-echo.c, compiled by the bench with cc)", text, StringComparison.Ordinal);
        Assert.Contains("--c-peer <path> The C epoll peer (c-epoll): its source, which the bench compiles with 'cc -O2' into its own folder, or an epoll-echo built already", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_bench_compiles_the_c_peer_and_measures_it()
    {
        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            "echo", "--engines", "c-epoll", "--duration", "1s", "--clients", "4", "--in-flight", "10", "--out", _out);

        Assert.True(code == 0, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "echo.json")));
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "epoll-echo"), json.RootElement.GetProperty("Settings").GetProperty("CPeerPath").GetString());
        var result = Assert.Single(json.RootElement.GetProperty("Results").EnumerateArray());
        Assert.Equal("c-epoll", result.GetProperty("Engine").GetString());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("Failure").ValueKind);
        Assert.Equal(0, result.GetProperty("Errors").GetInt64());
        Assert.True(result.GetProperty("Messages").GetInt64() > 0);
        Assert.True(result.GetProperty("ServerCpuNanosPerMessage").GetDouble() > 0);
        Assert.StartsWith("c-epoll ", stdout.ReplaceLineEndings("\n").Split('\n')[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_c_server_compiles_without_warnings_echoes_survives_a_reset_mid_message_and_stops_on_sigterm()
    {
        Directory.CreateDirectory(_out);
        string program = Path.Combine(_out, "epoll-echo");
        using (var cc = CliProcess.StartTool("cc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", program, Source))
        {
            Assert.Equal("", await cc.ReadToEndAsync());
            int exit = await cc.WaitForExitAsync();
            Assert.True(exit == 0 && cc.Stderr.Length == 0, $"cc exited {exit}: {cc.Stderr}");
        }

        using var server = CliProcess.StartTool(program, "0");
        string? line = await server.ReadLineAsync();
        var match = ListeningLine().Match(line ?? "");
        Assert.True(match.Success, $"not the listening line: {line}; stderr: {server.Stderr}");
        var endPoint = new IPEndPoint(IPAddress.Loopback, int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture));

        // Bytes of every value, more than one read's 64 KiB, come back as they went.
        byte[] payload = [.. Enumerable.Range(0, 200_000).Select(i => (byte)(i * 7))];
        using var steady = await TestClient.ConnectAsync(endPoint);
        await steady.SendAsync(payload);
        Assert.Equal(payload, await steady.ReadExactlyAsync(payload.Length));

        // A client resets with its message half echoed: it read the first byte back, not the rest.
        using (var resetting = await TestClient.ConnectAsync(endPoint, receiveBufferSize: 4096))
        {
            await resetting.SendAsync(new byte[256 * 1024]);
            await resetting.ReadExactlyAsync(1);
            resetting.Reset();
        }

        // The server lives on: the client that was there, and a new one, are echoed.
        await steady.AssertEchoesAsync("still here");
        using var next = await TestClient.ConnectAsync(endPoint);
        await next.AssertEchoesAsync("and a new client");

        await server.StopGracefullyAsync();
        Assert.Equal("", server.Stderr);
    }

    public void Dispose()
    {
        if (Directory.Exists(_out))
            Directory.Delete(_out, recursive: true);
    }

    /// <summary>The dotnet host's real path (links followed): the one the SDK names, else <c>dotnet</c> found on PATH.</summary>
    private static string DotnetHostPath()
    {
        string host = CliProcess.DotnetHost();
        if (!Path.IsPathRooted(host))
        {
            host = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Select(dir => Path.Combine(dir, host))
                .First(File.Exists);
        }

        return new FileInfo(host).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? host; // /usr/bin/dotnet is a link, and /usr/bin has cc
    }

    [GeneratedRegex(@"^listening on 127\.0\.0\.1:(?<port>\d+) \(echo, c-epoll\)$")]
    private static partial Regex ListeningLine();
}
