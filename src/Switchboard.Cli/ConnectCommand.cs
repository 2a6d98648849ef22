using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Switchboard.Clients;

namespace Switchboard.Cli;

/// <summary><c>switchboard connect [HOST] [PORT]</c>: the seeds' non-blocking client.</summary>
internal static class ConnectCommand
{
    private const int InterruptedExitCode = 130; // 128 + SIGINT, as shells report it

    private static readonly Argument<string> HostArgument = new("host")
    {
        Description = "Server to connect to",
        DefaultValueFactory = _ => "localhost",
    };

    private static readonly Argument<int> PortArgument = new("port")
    {
        Description = "Its port (the time server's by default)",
        DefaultValueFactory = _ => Apps.TimeApp.SeedPort,
    };

    private static readonly ChoiceOption<ClientWaitMode> WaitOption = new(
        "--wait",
        "How to wait for data without blocking: poll (poll(2) on the socket and stdin), select (Socket.Select), async (.NET async receive)",
        ClientWaitMode.Poll, "mode", string.Join("|", ChoiceOption<ClientWaitMode>.Names), "-w");

    private static readonly Option<Duration> ConnectTimeoutOption = DurationOption.Create(
        "--connect-timeout",
        "Give up connecting after this long, looking the host up included (e.g. 10s, 500ms); with --tls, the handshake gets as long again",
        new Duration(10), new Duration(0.001));

    private static readonly Option<bool> NoSpinnerOption = new("--no-spinner")
    {
        Description = "Do not draw the spinner while waiting (it is never drawn when stdout is not a terminal)",
    };

    /// <summary>How the arguments read in the list of commands, as in <c>connect --help</c>: both optional.</summary>
    public const string Usage = "connect [<host> [<port>]]";

    private static readonly Option<bool> PlainOption = new("--plain")
    {
        Description = "For scripts: write what the server sends exactly as it arrives, and nothing else " +
            "(no 'Received: ' prefix, no spinner, no closing message; a failure is one line on stderr)",
    };

    private static readonly Option<bool> ExitOnEofOption = new("--exit-on-eof")
    {
        Description = "At end of stdin, half-close the connection (like nc -N) so the server sees the end of input, " +
            "print what it still sends, and exit 0 when it closes (without it, the client keeps receiving until the server closes or Ctrl-C)",
    };

    private static readonly Option<bool> TlsOption = new("--tls")
    {
        Description = "Speak TLS: the server's certificate must be valid for HOST and come from a CA in the system's store " +
            "(a failed check or handshake: one line on stderr, exit 4)",
    };

    private static readonly Option<FileInfo?> CaOption = new("--ca")
    {
        Description = "With --tls: trust the CA certificates in this PEM file (one or more) instead of the system's store, e.g. a private CA or a self-signed server",
        HelpName = "file",
    };

    private static readonly Option<bool> InsecureOption = new("--insecure")
    {
        Description = "With --tls: INSECURE, do not check the server's certificate at all (for testing: anyone in between can read and change the connection)",
    };

    public static Command Create()
    {
        var command = new Command(
            "connect",
            "Connect to a server and print what it sends as 'Received: TEXT', waiting 50 ms at a time without blocking " +
            "and drawing a spinner meanwhile; lines typed on stdin are sent to the server (on a terminal, the line being " +
            "typed stays below what arrives). For scripts: --plain --exit-on-eof, like nc -N. Over TLS: --tls. " +
            $"Exit codes: {ExitCodes.Ok} the server closed; {ExitCodes.Failure} the connection failed; {ExitCodes.Usage} a bad command line, or no connection; " +
            $"{ExitCodes.Tls} the TLS handshake failed (certificate not trusted, expired or for another name; not a TLS server); {InterruptedExitCode} Ctrl-C.")
        {
            HostArgument, PortArgument, WaitOption.Option, ConnectTimeoutOption, NoSpinnerOption, PlainOption, ExitOnEofOption,
            TlsOption, CaOption, InsecureOption,
        };
        command.SetAction((parse, _) => RunAsync(parse));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse)
    {
        string host = parse.GetRequiredValue(HostArgument);
        int port = parse.GetValue(PortArgument);
        if (OptionChecks.Port("port", port, 1) is { } portError)
            return Cli.Fail(ExitCodes.Usage, portError);
        var connectTimeout = parse.GetValue(ConnectTimeoutOption).ToTimeSpan();
        var mode = WaitOption.GetValue(parse);
        if (mode == ClientWaitMode.Poll && !OperatingSystem.IsLinux())
            return Cli.Fail(ExitCodes.Usage, "--wait poll calls Linux's poll(2); use --wait select or async here");

        bool tls = parse.GetValue(TlsOption);
        var caFile = parse.GetValue(CaOption);
        bool insecure = parse.GetValue(InsecureOption);
        if (!tls && (caFile is not null || insecure))
            return Cli.Fail(ExitCodes.Usage, $"{(caFile is not null ? "--ca" : "--insecure")} needs --tls");
        if (caFile is not null && insecure)
            return Cli.Fail(ExitCodes.Usage, "--ca and --insecure contradict each other: --ca checks the certificate against that CA, --insecure checks nothing");
        X509Certificate2Collection? roots = null;
        if (caFile is not null && LoadCertificates(caFile, out roots) is { } caError)
            return Cli.Fail(ExitCodes.Usage, caError);

        Socket socket;
        try
        {
            socket = await ConnectAsync(host, port, connectTimeout).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            return Cli.Fail(ExitCodes.Usage, $"cannot connect to {host}:{port}: {Describe(e)}");
        }
        catch (TimeoutException)
        {
            string seconds = connectTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Cli.Fail(ExitCodes.Usage, $"cannot connect to {host}:{port}: no answer in {seconds} s (see --connect-timeout)");
        }

        using (socket)
        {
            TlsClientConnection? session = null;
            if (tls)
            {
                if (insecure)
                    Console.Error.WriteLine($"switchboard: warning: --insecure: {host}'s certificate is not checked; anyone in between can read and change this connection");
                var options = new TlsClientOptions { TargetHost = host, TrustedRoots = roots, SkipVerification = insecure };
                try
                {
                    session = await HandshakeAsync(socket, options, connectTimeout).ConfigureAwait(false);
                }
                catch (TlsHandshakeException e)
                {
                    return Cli.Fail(ExitCodes.Tls, $"TLS with {host}:{port} failed: {e.Message}{Hint(e.Failure, caFile is not null)}");
                }
                catch (TimeoutException)
                {
                    string seconds = connectTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    return Cli.Fail(ExitCodes.Tls, $"TLS with {host}:{port} failed: no TLS handshake answer in {seconds} s (is it a TLS port? see --connect-timeout)");
                }
            }

            using var tlsSession = session;
            using var interrupted = new CancellationTokenSource();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
            {
                context.Cancel = true;
                interrupted.Cancel();
            });
            bool plain = parse.GetValue(PlainOption);
            bool halfClose = parse.GetValue(ExitOnEofOption);
            bool terminal = !Console.IsOutputRedirected;
            bool spinner = !parse.GetValue(NoSpinnerOption) && terminal;
            using var stdout = plain ? Console.OpenStandardOutput() : null;
            var client = stdout is not null
                ? new ConsoleClient(socket, mode, stdout, readStdin: true) { HalfCloseAtEndOfInput = halfClose, Tls = session }
                : new ConsoleClient(socket, mode, Console.Out, spinner, readStdin: true) { Terminal = terminal, HalfCloseAtEndOfInput = halfClose, Tls = session };
            var outcome = await client.RunAsync(interrupted.Token).ConfigureAwait(false);
            return outcome switch
            {
                ClientOutcome.RemoteClosed => ExitCodes.Ok,
                ClientOutcome.Failed when plain => Cli.Fail(ExitCodes.Failure, $"connection to {host}:{port} failed: {client.FailureReason}"),
                ClientOutcome.Failed => ExitCodes.Failure,
                _ => InterruptedExitCode,
            };
        }
    }

    /// <summary>
    /// Connects to the first of the host's addresses that answers, all within <paramref name="timeout"/>
    /// (a server whose SYNs vanish would otherwise be waited on until the kernel gives up, minutes later).
    /// </summary>
    /// <exception cref="SocketException">No address accepted, e.g. refused or unknown host.</exception>
    /// <exception cref="TimeoutException">No answer within <paramref name="timeout"/>.</exception>
    private static async Task<Socket> ConnectAsync(string host, int port, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            var addresses = IPAddress.TryParse(host, out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(host, deadline.Token).ConfigureAwait(false);
            SocketException? last = null;
            foreach (var address in addresses)
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, port), deadline.Token).ConfigureAwait(false);
                    return socket;
                }
                catch (SocketException e)
                {
                    socket.Dispose();
                    last = e;
                }
                catch (OperationCanceledException)
                {
                    socket.Dispose();
                    throw;
                }
            }

            throw last ?? new SocketException((int)SocketError.HostNotFound);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException();
        }
    }

    /// <summary>The TLS handshake, within <paramref name="timeout"/> (a plain server that says nothing would otherwise be waited on forever).</summary>
    /// <exception cref="TlsHandshakeException">The handshake failed.</exception>
    /// <exception cref="TimeoutException">No answer within <paramref name="timeout"/>.</exception>
    private static async Task<TlsClientConnection> HandshakeAsync(Socket socket, TlsClientOptions options, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            return await TlsClientConnection.AuthenticateAsync(socket, options, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException();
        }
    }

    /// <summary>What the user can do about a failed check, after its line.</summary>
    private static string Hint(TlsFailure failure, bool caGiven) => failure switch
    {
        TlsFailure.Untrusted when !caGiven => " (a private CA or self-signed server: --ca FILE)",
        TlsFailure.NameMismatch => " (connect by a name the certificate lists)",
        _ => "",
    };

    /// <summary>Reads the PEM certificates of <c>--ca</c>; returns the error line, or null.</summary>
    private static string? LoadCertificates(FileInfo file, out X509Certificate2Collection? certificates)
    {
        certificates = null;
        var loaded = new X509Certificate2Collection();
        try
        {
            loaded.ImportFromPemFile(file.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            return $"--ca: cannot read {file}: {e.Message.TrimEnd('.')}";
        }

        if (loaded.Count == 0)
            return $"--ca: no certificate in {file} (expected PEM: -----BEGIN CERTIFICATE-----)";
        certificates = loaded;
        return null;
    }

    private static string Describe(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "unknown host",
        SocketError.TimedOut => "timed out",
        SocketError.NetworkUnreachable => "network unreachable",
        SocketError.HostUnreachable => "host unreachable",
        _ => e.Message.ToLowerInvariant(),
    };
}
