using System.Net;
using System.Net.Http;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// <c>serve --tls-cert --tls-key</c> through the real program, with real TLS clients:
/// <c>openssl s_client</c> and <c>socat OPENSSL:</c> on the line protocol (forking too, whose
/// workers read the certificate themselves), IRC over TLS, the web page over HTTPS, a plain-text
/// client told what the port speaks, bad files refused in one line, and SIGHUP putting a renewed
/// certificate in force without dropping a connection.
/// </summary>
public sealed class ServeTlsTests : IDisposable
{
    private const int SigHup = 1;

    private readonly TestCertificate _certificate = TestCertificate.Create();

    public void Dispose() => _certificate.Dispose();

    [Theory]
    [InlineData("epoll")]
    [InlineData("async")]
    [InlineData("threading")]
    [InlineData("forking")]
    [InlineData("uring")]
    public async Task Openssl_s_client_verifies_the_certificate_and_talks_to_the_echo_app(string engine)
    {
        using var serve = CliProcess.Start("serve", "echo", "--port", "0", "--engine", engine, "--tls-cert", _certificate.CertPath, "--tls-key", _certificate.KeyPath);
        var (endPoint, _) = await serve.ReadListeningLineAsync();
        await serve.StderrLines.WaitUntilAsync(lines => lines.Any(l => l.Contains("TLS on every listener, certificate CN=localhost", StringComparison.Ordinal)), Timeouts.Quick, "the TLS log line");

        using var client = SClient(endPoint);
        await client.WriteInputAsync("hello over TLS\n");
        Assert.Equal("hello over TLS", await client.ReadLineAsync());
        await client.WriteInputAsync("and again\n");
        Assert.Equal("and again", await client.ReadLineAsync());
        await serve.StopGracefullyAsync();
    }

    [Fact]
    public async Task Socat_joins_the_chat_over_TLS_on_forking_beside_a_TLS_client_of_the_tests()
    {
        using var serve = CliProcess.Start("serve", "chat", "--port", "0", "--engine", "forking", "--tls-cert", _certificate.Pkcs12Path);
        var (endPoint, _) = await serve.ReadListeningLineAsync();

        using var socat = CliProcess.StartTool("socat", "-", $"OPENSSL:127.0.0.1:{endPoint.Port},cafile={_certificate.CertPath},verify=1");
        await socat.WriteInputAsync("/nick alice\n");
        await socat.ReadUntilAsync("*** alice joined #lobby");

        await using var bob = await TlsTestClient.ConnectAsync(endPoint, _certificate);
        using var bobReader = new StreamReader(bob.Stream);
        await bob.Stream.WriteAsync("/nick bob\n"u8.ToArray());
        await socat.ReadUntilAsync("*** bob joined #lobby");
        await bob.Stream.WriteAsync("hello alice\n"u8.ToArray());
        await socat.ReadUntilAsync("<bob> hello alice");
        await socat.WriteInputAsync("hi bob\n");
        while (await bobReader.ReadLineAsync().WaitAsync(Timeouts.Patient) is { } line && !line.Contains("<alice> hi bob", StringComparison.Ordinal))
        {
        }

        await serve.StopGracefullyAsync();
    }

    [Theory]
    [InlineData("poll")]
    [InlineData("select")]
    [InlineData("async")]
    public async Task Switchboard_connect_trusts_a_private_CA_that_issued_the_servers_certificate(string wait)
    {
        using var authority = TestCertificate.Create("ca.switchboard.test"); // a CA's name is not its servers'
        using var issued = authority.Issue();
        using var serve = CliProcess.Start("serve", "echo", "--port", "0", "--tls-cert", issued.CertPath, "--tls-key", issued.KeyPath);
        var (endPoint, _) = await serve.ReadListeningLineAsync();

        using var client = CliProcess.Start("connect", "localhost", endPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--tls", "--ca", authority.CertPath, "--wait", wait, "--plain", "--exit-on-eof", "--no-spinner");
        await client.WriteInputAsync("through a private CA\n");
        string? echoed = await client.ReadLineAsync();
        Assert.True(echoed == "through a private CA", $"got {echoed}; connect's stderr: {client.Stderr}; serve's: {serve.Stderr}");
        client.CloseInput();
        Assert.Equal(0, await client.WaitForExitAsync());
        await serve.StopGracefullyAsync();
    }

    [Fact]
    public async Task IRC_speaks_TLS_too()
    {
        using var serve = CliProcess.Start("serve", "chat", "--port", "0", "--irc-port", "0", "--tls-cert", _certificate.CertPath, "--tls-key", _certificate.KeyPath);
        await serve.ReadListeningLineAsync();
        var irc = await serve.ReadIrcListeningLineAsync();

        using var client = SClient(irc);
        await client.WriteInputAsync("NICK carol\r\nUSER carol 0 * :Carol\r\n");
        await client.ReadUntilAsync(":switchboard 001 carol ");
        await serve.StopGracefullyAsync();
    }

    [Fact]
    public async Task The_web_page_is_served_over_HTTPS()
    {
        using var serve = CliProcess.Start("serve", "chat", "--port", "0", "--web", "127.0.0.1:0", "--tls-cert", _certificate.CertPath, "--tls-key", _certificate.KeyPath);
        await serve.ReadListeningLineAsync();
        var page = await serve.ReadWebLineAsync();
        Assert.Equal("https", page.Scheme);

        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate?.Thumbprint == _certificate.Certificate.Thumbprint };
        using var http = new HttpClient(handler) { Timeout = Timeouts.Quick };
        using var index = await http.GetAsync(page);
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        await serve.StopGracefullyAsync();
    }

    [Fact]
    public async Task A_plain_text_client_is_told_in_one_line_and_the_log_says_so()
    {
        using var serve = CliProcess.Start("serve", "echo", "--port", "0", "--tls-cert", _certificate.CertPath, "--tls-key", _certificate.KeyPath);
        var (endPoint, _) = await serve.ReadListeningLineAsync();

        using var plain = await TestClient.ConnectAsync(endPoint);
        await plain.SendAsync("hello?\n");
        Assert.Equal("error: this port speaks TLS; connect with TLS (switchboard connect --tls, openssl s_client)", await plain.ReadLineAsync());
        Assert.True(await plain.WaitForCloseAsync());
        await serve.StderrLines.WaitUntilAsync(lines => lines.Any(l => l.Contains("spoke something else than TLS to a TLS port (first byte 0x68)", StringComparison.Ordinal)), Timeouts.Quick, "the log line");

        using var client = SClient(endPoint); // and serves on
        await client.WriteInputAsync("fine\n");
        Assert.Equal("fine", await client.ReadLineAsync());
        await serve.StopGracefullyAsync();
    }

    [Fact]
    public async Task The_apps_close_and_a_graceful_shutdown_end_with_close_notify_which_openssl_tells_from_a_cut()
    {
        // print closes a client whose line is too long, after telling it so.
        using (var print = CliProcess.Start("serve", "print", "--port", "0", "--max-line", "10", "--tls-cert", _certificate.CertPath, "--tls-key", _certificate.KeyPath))
        {
            var (endPoint, _) = await print.ReadListeningLineAsync();
            using var client = SClient(endPoint);
            await client.WriteInputAsync("a line far longer than ten bytes\n");
            Assert.Equal("error: line too long (max 10 bytes)", await client.ReadLineAsync());
            Assert.Equal(0, await client.WaitForExitAsync());
            Assert.DoesNotContain("unexpected eof", client.Stderr, StringComparison.Ordinal); // OpenSSL's word for a FIN without close_notify
            await print.StopGracefullyAsync();
        }

        // A graceful stop: the goodbye, then close_notify. (The idle timeout, by contrast, cuts.)
        using var echo = CliProcess.Start("serve", "echo", "--port", "0", "--tls-cert", _certificate.CertPath, "--tls-key", _certificate.KeyPath);
        var (echoAt, _) = await echo.ReadListeningLineAsync();
        using var member = SClient(echoAt);
        await member.WriteInputAsync("here\n");
        Assert.Equal("here", await member.ReadLineAsync());
        await echo.StopGracefullyAsync();
        Assert.Equal(0, await member.WaitForExitAsync());
        Assert.DoesNotContain("unexpected eof", member.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_that_does_not_match_or_an_expired_certificate_stops_the_start_with_one_line()
    {
        using var other = TestCertificate.Create();
        var (code, stdout, stderr) = await CliProcess.RunAsync("serve", "echo", "--port", "0", "--tls-cert", _certificate.CertPath, "--tls-key", other.KeyPath);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal($"switchboard: --tls-cert: the key in {other.KeyPath} does not belong to the certificate in {_certificate.CertPath}\n", stderr.ReplaceLineEndings("\n"));

        using var expired = TestCertificate.Create(notBefore: DateTimeOffset.UtcNow.AddDays(-30), notAfter: DateTimeOffset.UtcNow.AddDays(-1));
        (code, _, stderr) = await CliProcess.RunAsync("serve", "echo", "--port", "0", "--tls-cert", expired.CertPath, "--tls-key", expired.KeyPath);
        Assert.Equal(2, code);
        Assert.Matches(@"^switchboard: --tls-cert: the certificate in \S+ \(CN=localhost\) expired on [-0-9: ]+ UTC\n$", stderr.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("forking")]
    public async Task SIGHUP_puts_a_renewed_certificate_in_force_and_an_open_connection_goes_on(string engine)
    {
        string directory = Directory.CreateTempSubdirectory("sb-tls-reload-").FullName;
        try
        {
            string cert = Path.Combine(directory, "cert.pem"), key = Path.Combine(directory, "key.pem");
            File.Copy(_certificate.CertPath, cert);
            File.Copy(_certificate.KeyPath, key);
            // On forking one worker, held by the first client until after the reload: the next is
            // served only by the worker started after that (an idle worker would retire a moment
            // after the reload, not at once).
            string[] workers = engine == "forking" ? ["--workers", "1..1"] : [];
            using var serve = CliProcess.Start(["serve", "echo", "--port", "0", "--engine", engine, .. workers, "--tls-cert", cert, "--tls-key", key]);
            var (endPoint, _) = await serve.ReadListeningLineAsync();
            await using var before = await TlsTestClient.ConnectAsync(endPoint, _certificate);
            Assert.Equal(_certificate.Certificate.Thumbprint, before.ServerThumbprint);

            // A renewal writes new files under the same names; SIGHUP reads them.
            using var renewed = TestCertificate.Create();
            File.Copy(renewed.CertPath, cert, overwrite: true);
            File.Copy(renewed.KeyPath, key, overwrite: true);
            Assert.True(CliProcess.Signal(serve.Pid, SigHup));
            await serve.StderrLines.WaitUntilAsync(lines => lines.Any(l => l.Contains("Reload: TLS certificate read again", StringComparison.Ordinal)), Timeouts.Quick, "the reload's line");

            await before.Stream.WriteAsync("still here\n"u8.ToArray());
            Assert.Equal("still here\n", System.Text.Encoding.ASCII.GetString(await before.ReadExactlyAsync(11)));
            await before.DisposeAsync(); // on forking, frees the one worker's place for a fresh one

            await using var after = await TlsTestClient.ConnectAsync(endPoint, renewed);
            Assert.Equal(renewed.Certificate.Thumbprint, after.ServerThumbprint);
            await serve.StopGracefullyAsync();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary><c>openssl s_client</c> verifying the server against the test's certificate, for <c>localhost</c>, quiet: stdout carries only what the server says.</summary>
    private CliProcess SClient(IPEndPoint endPoint) => CliProcess.StartTool(
        "openssl", "s_client", "-connect", $"127.0.0.1:{endPoint.Port}", "-servername", "localhost", "-verify_hostname", "localhost",
        "-CAfile", _certificate.CertPath, "-verify_return_error", "-quiet");
}
