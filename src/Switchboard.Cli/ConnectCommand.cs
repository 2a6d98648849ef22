using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
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
        DefaultValueFactory = _ => Apps.TimeApp.DefaultPort,
    };

    private static readonly Option<ClientWaitMode> WaitOption = new("--wait", "-w")
    {
        Description = "How to wait for data without blocking: Poll (poll(2) on the socket and stdin), Select (Socket.Select), Async (.NET async receive)",
        DefaultValueFactory = _ => ClientWaitMode.Poll,
        HelpName = "poll|select|async",
    };

    private static readonly Option<bool> NoSpinnerOption = new("--no-spinner")
    {
        Description = "Do not draw the spinner while waiting (it is never drawn when stdout is not a terminal)",
    };

    public static Command Create()
    {
        var command = new Command(
            "connect",
            "Connect to a server and print what it sends as 'Received: TEXT', waiting 50 ms at a time without blocking " +
            "and drawing a spinner meanwhile; lines typed on stdin are sent to the server.")
        {
            HostArgument, PortArgument, WaitOption, NoSpinnerOption,
        };
        command.SetAction((parse, _) => RunAsync(parse));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse)
    {
        string host = parse.GetRequiredValue(HostArgument);
        int port = parse.GetValue(PortArgument);
        if (port is < 1 or > 65535)
            return Cli.Fail(ExitCodes.Usage, $"bad port {port}: must be 1-65535");
        var mode = parse.GetValue(WaitOption);
        if (mode == ClientWaitMode.Poll && !OperatingSystem.IsLinux())
            return Cli.Fail(ExitCodes.Usage, "--wait poll calls Linux's poll(2); use --wait select or async here");

        Socket socket;
        try
        {
            socket = await ConnectAsync(host, port).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            return Cli.Fail(ExitCodes.Usage, $"cannot connect to {host}:{port}: {Describe(e)}");
        }

        using (socket)
        {
            using var interrupted = new CancellationTokenSource();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
            {
                context.Cancel = true;
                interrupted.Cancel();
            });
            bool spinner = !parse.GetValue(NoSpinnerOption) && !Console.IsOutputRedirected;
            var client = new ConsoleClient(socket, mode, Console.Out, spinner, readStdin: true);
            var outcome = await client.RunAsync(interrupted.Token).ConfigureAwait(false);
            return outcome switch
            {
                ClientOutcome.RemoteClosed => ExitCodes.Ok,
                ClientOutcome.Failed => ExitCodes.Failure,
                _ => InterruptedExitCode,
            };
        }
    }

    private static async Task<Socket> ConnectAsync(string host, int port)
    {
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host).ConfigureAwait(false);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token).ConfigureAwait(false);
                return socket;
            }
            catch (OperationCanceledException)
            {
                socket.Dispose();
                last = new SocketException((int)SocketError.TimedOut);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
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
