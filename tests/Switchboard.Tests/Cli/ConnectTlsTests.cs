using System.Globalization;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary><c>connect --tls</c> against a real TLS server, <c>openssl s_server</c>, and against servers it must refuse.</summary>
public sealed class ConnectTlsTests
{
    private const int TlsExitCode = 4;

    [Theory]
    [InlineData("poll")]
    [InlineData("select")]
    [InlineData("async")]
    public async Task Talks_both_ways_with_a_server_whose_ca_is_given(string wait)
    {
        using var certificate = TestCertificate.Create();
        using var server = await OpenSslServer.StartAsync(certificate);
        using var client = CliProcess.Start("connect", "localhost", Port(server), "--tls", "--ca", certificate.CertPath, "--wait", wait);
        await server.HandshakeDoneAsync();

        await server.SendAsync("hello from the server\n");
        Assert.Equal("Received: hello from the server", await client.ReadLineAsync());
        await client.WriteInputAsync("hello from the client\n");
        await server.ReceivedAsync("hello from the client");
        await server.SendAsync("and back\n"); // still both ways after the client's own write
        Assert.Equal("Received: and back", await client.ReadLineAsync());
        Assert.Equal("", client.Stderr);
    }

    [Fact]
    public async Task Sends_close_notify_and_half_closes_at_end_of_input_then_exits_0()
    {
        using var certificate = TestCertificate.Create();
        using var server = await OpenSslServer.StartAsync(certificate);
        using var client = CliProcess.Start("connect", "127.0.0.1", Port(server), "--tls", "--ca", certificate.CertPath, "--plain", "--exit-on-eof");
        await server.HandshakeDoneAsync();

        await client.WriteInputAsync("one line\n");
        await server.ReceivedAsync("one line");
        client.CloseInput();
        await server.ReceivedAsync("CONNECTION CLOSED"); // s_server closes when the client says close_notify
        Assert.Equal(0, await client.WaitForExitAsync());
        Assert.Contains("DONE", server.Output.Snapshot()); // s_server's word for a close_notify; a bare FIN is "ERROR" first
        Assert.DoesNotContain("ERROR", server.Output.Snapshot());
    }

    [Fact]
    public async Task A_self_signed_server_is_untrusted_without_ca_one_line_and_exit_4()
    {
        using var certificate = TestCertificate.Create();
        using var server = await OpenSslServer.StartAsync(certificate);

        var (code, stdout, stderr) = await CliProcess.RunAsync("connect", "localhost", Port(server), "--tls");

        Assert.Equal(TlsExitCode, code);
        Assert.Equal("", stdout);
        Assert.Equal(
            $"switchboard: TLS with localhost:{Port(server)} failed: certificate not trusted: self-signed (CN=localhost), not from a trusted CA (a private CA or self-signed server: --ca FILE)",
            OneLine(stderr));
    }

    [Fact]
    public async Task Insecure_connects_to_an_untrusted_server_and_warns_once()
    {
        using var certificate = TestCertificate.Create();
        using var server = await OpenSslServer.StartAsync(certificate);
        using var client = CliProcess.Start("connect", "localhost", Port(server), "--tls", "--insecure");
        await server.HandshakeDoneAsync();

        await server.SendAsync("unchecked but encrypted\n");
        Assert.Equal("Received: unchecked but encrypted", await client.ReadLineAsync());
        Assert.Equal(
            "switchboard: warning: --insecure: localhost's certificate is not checked; anyone in between can read and change this connection",
            OneLine(client.Stderr));
    }

    [Fact]
    public async Task A_certificate_for_another_name_is_a_name_mismatch()
    {
        using var certificate = TestCertificate.Create("other.example");
        using var server = await OpenSslServer.StartAsync(certificate);

        var (code, _, stderr) = await CliProcess.RunAsync("connect", "localhost", Port(server), "--tls", "--ca", certificate.CertPath);

        Assert.Equal(TlsExitCode, code);
        Assert.Matches(
            $"^switchboard: TLS with localhost:{Port(server)} failed: certificate name mismatch: the certificate is for other\\.example, 127\\.0\\.0\\.1, ::1, not localhost \\(connect by a name the certificate lists\\)$",
            OneLine(stderr));
    }

    [Fact]
    public async Task An_expired_certificate_says_when_it_expired()
    {
        var expiry = new DateTimeOffset(2025, 6, 30, 12, 0, 0, TimeSpan.Zero);
        using var certificate = TestCertificate.Create(notBefore: expiry.AddDays(-30), notAfter: expiry);
        using var server = await OpenSslServer.StartAsync(certificate);

        var (code, _, stderr) = await CliProcess.RunAsync("connect", "localhost", Port(server), "--tls", "--ca", certificate.CertPath);

        Assert.Equal(TlsExitCode, code);
        Assert.Equal(
            $"switchboard: TLS with localhost:{Port(server)} failed: certificate expired: it was valid until 2025-06-30 12:00 UTC",
            OneLine(stderr));
    }

    [Fact]
    public async Task A_plain_server_that_talks_first_does_not_speak_tls()
    {
        using var server = CliProcess.Start("serve", "time", "--port", "0", "--interval", "0.1");
        var (endPoint, _) = await server.ReadListeningLineAsync();

        var (code, _, stderr) = await CliProcess.RunAsync("connect", "127.0.0.1", endPoint.Port.ToString(CultureInfo.InvariantCulture), "--tls");

        Assert.Equal(TlsExitCode, code);
        Assert.StartsWith(
            $"switchboard: TLS with 127.0.0.1:{endPoint.Port} failed: the server does not speak TLS: it answered in plain text (\"",
            OneLine(stderr), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plain_echo_server_sending_the_hello_back_does_not_speak_tls()
    {
        using var server = CliProcess.Start("serve", "echo", "--port", "0");
        var (endPoint, _) = await server.ReadListeningLineAsync();

        var (code, _, stderr) = await CliProcess.RunAsync("connect", "127.0.0.1", endPoint.Port.ToString(CultureInfo.InvariantCulture), "--tls");

        Assert.Equal(TlsExitCode, code);
        Assert.Equal(
            $"switchboard: TLS with 127.0.0.1:{endPoint.Port} failed: the server does not speak TLS: it sent the TLS hello back (an echo server?)",
            OneLine(stderr));
    }

    [Theory]
    [InlineData("--ca", "needs --tls")]
    [InlineData("--insecure", "--insecure needs --tls")]
    public async Task Tls_options_without_tls_are_a_usage_error(string option, string error)
    {
        using var certificate = TestCertificate.Create();
        string[] args = option == "--ca" ? ["connect", "localhost", "1", option, certificate.CertPath] : ["connect", "localhost", "1", option];

        var (code, _, stderr) = await CliProcess.RunAsync(args);

        Assert.Equal(2, code);
        Assert.EndsWith(error, OneLine(stderr), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ca_file_without_a_certificate_is_a_usage_error()
    {
        using var certificate = TestCertificate.Create();

        var (code, _, stderr) = await CliProcess.RunAsync("connect", "localhost", "1", "--tls", "--ca", certificate.KeyPath);

        Assert.Equal(2, code);
        Assert.Equal($"switchboard: --ca: no certificate in {certificate.KeyPath} (expected PEM: -----BEGIN CERTIFICATE-----)", OneLine(stderr));
    }

    [Fact]
    public async Task Help_names_the_tls_options_and_the_exit_code_of_a_failed_handshake()
    {
        var (code, stdout, _) = await CliProcess.RunAsync("connect", "--help");

        Assert.Equal(0, code);
        Assert.Contains("--tls ", stdout, StringComparison.Ordinal);
        Assert.Contains("--ca <file>", stdout, StringComparison.Ordinal);
        Assert.Contains("--insecure  ", stdout, StringComparison.Ordinal);
        Assert.Contains("INSECURE, do not check the server's certificate", stdout, StringComparison.Ordinal);
        Assert.Contains($"{TlsExitCode} the TLS handshake failed", stdout, StringComparison.Ordinal);
    }

    private static string Port(OpenSslServer server) => server.Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The one line of <paramref name="stderr"/>; fails if there are more (a stack trace, say).</summary>
    private static string OneLine(string stderr)
    {
        string[] lines = stderr.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        Assert.True(lines.Length == 1, $"expected one line on stderr, got: {stderr}");
        return lines[0];
    }
}
