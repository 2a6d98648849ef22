using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Switchboard.Tests.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// <c>switchboard-bench --tls</c> against a TLS server: a plain <c>serve echo</c> behind socat's
/// TLS terminator (<c>OPENSSL-LISTEN</c>), trusted with <c>--tls-ca</c>; and its one-line refusals.
/// </summary>
[Collection(NonParallel.Name)]
public sealed class BenchTlsTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), $"switchboard-bench-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_out))
            Directory.Delete(_out, recursive: true);
    }

    [Theory]
    [InlineData("latency", "--duration", "500ms", "latency: 2 clients, 0.5 s, tls: true")]
    [InlineData("connections", "-n", "20", "connections: 20 connections, tls: true")]
    public async Task Loads_a_tls_server_and_says_tls_in_the_table_and_the_json(string scenario, string flag, string value, string loadLine)
    {
        using var certificate = TestCertificate.Create();
        using var server = CliProcess.Start("serve", "echo", "--port", "0");
        var (plain, _) = await server.ReadListeningLineAsync();
        using var terminator = await TlsTerminator.StartAsync(certificate, plain);

        var (code, stdout, stderr) = await CliProcess.RunBenchAsync(
            scenario, "--target", $"127.0.0.1:{terminator.Port}", "--tls", "--tls-ca", certificate.CertPath, flag, value, "--clients", "2", "--out", _out);

        Assert.True(code == 0, $"exit {code}; stdout: {stdout}; stderr: {stderr}");
        Assert.StartsWith(loadLine + "\n", stdout.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, $"{scenario}.json")));
        Assert.True(json.RootElement.GetProperty("Settings").GetProperty("Tls").GetBoolean());
        var result = Assert.Single(json.RootElement.GetProperty("Results").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("Failure").ValueKind);
        Assert.True(result.GetProperty("Messages").GetInt64() > 0);
        if (scenario == "connections")
            Assert.Equal(20, result.GetProperty("Answered").GetInt32()); // every one through its handshake, and answering over TLS
    }

    [Fact]
    public async Task A_plain_target_fails_its_handshake_in_one_line_and_exit_code_1()
    {
        using var certificate = TestCertificate.Create();
        using var server = CliProcess.Start("serve", "echo", "--port", "0");
        var (plain, _) = await server.ReadListeningLineAsync();

        var (code, _, stderr) = await CliProcess.RunBenchAsync(
            "latency", "--target", $"127.0.0.1:{plain.Port}", "--tls", "--tls-ca", certificate.CertPath, "--duration", "500ms", "--clients", "1", "--out", _out);

        Assert.Equal(1, code);
        Assert.Matches($"^switchboard-bench: latency on target: TLS handshake with 127\\.0\\.0\\.1:{plain.Port} failed: .+$", stderr.ReplaceLineEndings("\n").TrimEnd('\n'));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Tls_ca_is_only_for_a_tls_target_one_line_and_exit_code_2(bool target)
    {
        using var certificate = TestCertificate.Create();
        string[] args = target
            ? ["latency", "--target", "127.0.0.1:1", "--tls-ca", certificate.CertPath]
            : ["latency", "--tls", "--tls-ca", certificate.CertPath];

        var (code, _, stderr) = await CliProcess.RunBenchAsync(args);

        Assert.Equal(2, code);
        Assert.Equal(
            "switchboard-bench: --tls-ca is for --tls --target: the servers the bench starts use a certificate it makes, and the load trusts exactly that",
            stderr.ReplaceLineEndings("\n").TrimEnd('\n'));
    }

    /// <summary>socat terminating TLS on a free loopback port in front of a plain server; killed by its pid on dispose.</summary>
    private sealed class TlsTerminator : IDisposable
    {
        private readonly Process _process;

        private TlsTerminator(Process process, int port)
        {
            _process = process;
            Port = port;
        }

        public int Port { get; }

        public static async Task<TlsTerminator> StartAsync(TestCertificate certificate, IPEndPoint plain)
        {
            int port = ManagedSockets.FreePort();
            var start = new ProcessStartInfo("socat") { UseShellExecute = false, RedirectStandardError = true };
            start.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"OPENSSL-LISTEN:{port},bind=127.0.0.1,cert={certificate.CertPath},key={certificate.KeyPath},verify=0,fork,reuseaddr"));
            start.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"TCP:127.0.0.1:{plain.Port}"));
            var process = Process.Start(start)!;
            process.ErrorDataReceived += (_, _) => { }; // its complaints about clients that hang up are drained, not read
            process.BeginErrorReadLine();
            var terminator = new TlsTerminator(process, port);
            try
            {
                using var probe = await ManagedSockets.ConnectWhenListeningAsync(new IPEndPoint(IPAddress.Loopback, port));
                return terminator;
            }
            catch
            {
                terminator.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true); // its forked children too
                _process.WaitForExit(Timeouts.Quick);
            }

            _process.Dispose();
        }
    }
}
