using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Clients;

/// <summary><c>switchboard connect</c> on a real (pseudo-)terminal, as a person at a shell sees it.</summary>
public sealed partial class ConnectInTerminalTests
{
    private const string CtrlC = "\x03";

    [TerminalFact]
    public async Task Ctrl_C_leaves_no_spinner_behind_and_the_shell_prompt_starts_on_a_clean_line()
    {
        using var server = new LineServer();
        using var terminal = ScriptTerminal.Start($"{ScriptTerminal.Switchboard("connect", "127.0.0.1", server.Port)}; echo EXIT=$?");
        using var accepted = await server.AcceptAsync();
        accepted.Send("hello\n"u8);
        await terminal.WaitForOutputAsync(o => SpinnerAfter("Received: hello", o), "a spinner after the line");

        await terminal.TypeAsync(CtrlC);

        Assert.Equal(0, await terminal.WaitForExitAsync());
        var lines = TerminalScreen.Of(terminal.Output).Lines;
        Assert.True(lines.Count >= 3, ScriptTerminal.Visible(terminal.Output));
        Assert.Equal(["Received: hello", "^C", "EXIT=130"], lines.TakeLast(3));
    }

    [TerminalFact]
    public async Task With_stdin_redirected_the_terminals_own_echo_of_Ctrl_C_is_wiped_too()
    {
        // stdin is not the terminal, so the client leaves it alone and the terminal echoes ^C after the spinner itself.
        using var server = new LineServer();
        using var terminal = ScriptTerminal.Start($"{ScriptTerminal.Switchboard("connect", "127.0.0.1", server.Port)} < /dev/null; echo EXIT=$?");
        using var accepted = await server.AcceptAsync();
        accepted.Send("hello\n"u8);
        await terminal.WaitForOutputAsync(o => SpinnerAfter("Received: hello", o), "a spinner after the line");

        await terminal.TypeAsync(CtrlC);

        Assert.Equal(0, await terminal.WaitForExitAsync());
        string output = terminal.Output;
        Assert.True(Regex.Count(output, Regex.Escape("^C")) >= 2, $"no echo of ^C by the terminal: {ScriptTerminal.Visible(output)}");
        Assert.Equal(["Received: hello", "^C", "EXIT=130"], TerminalScreen.Of(output).Lines.TakeLast(3));
    }

    [TerminalFact]
    public async Task What_is_being_typed_is_drawn_again_below_a_line_that_arrives_and_Enter_sends_it()
    {
        using var server = new LineServer();
        using var terminal = ScriptTerminal.Start($"{ScriptTerminal.Switchboard("connect", "127.0.0.1", server.Port)}; stty -a");
        using var accepted = await server.AcceptAsync();
        await terminal.WaitForOutputAsync(o => o.Contains("|.........", StringComparison.Ordinal), "the spinner");

        await terminal.TypeAsync("half typ");
        await terminal.WaitForOutputAsync(o => o.Contains("half typ", StringComparison.Ordinal), "the typing, drawn by the client");
        accepted.Send("news from the server\n"u8);
        string shown = await terminal.WaitForOutputAsync(
            o => After("Received: news from the server", "half typ", o),
            "the typing drawn again after the line");

        var lines = TerminalScreen.Of(shown).Lines;
        Assert.Equal("Received: news from the server", lines[^2]);
        Assert.Matches(StatusLine("half typ"), lines[^1]);

        await terminal.TypeAsync("e\x7f\x7fped\r"); // a typo, one Backspace too many, the rest again, Enter
        Assert.Equal("half typed\n", await ReceiveLineAsync(accepted));
        await terminal.WaitForOutputAsync(o => o.Contains("half typed", StringComparison.Ordinal), "the sent line");
        await terminal.TypeAsync(CtrlC);

        Assert.Equal(0, await terminal.WaitForExitAsync());
        string output = terminal.Output;
        var screen = TerminalScreen.Of(output).Lines;
        Assert.Contains("half typed", screen); // what was sent stays on screen as typed
        // The terminal is given back as it was: the shell's line editing and echo on again.
        Assert.Matches(@"(?<![-\w])icanon\b", output);
        Assert.Matches(@"(?<![-\w])echo\b", output);
    }

    [TerminalFact]
    public async Task With_exit_on_eof_Ctrl_D_on_an_empty_line_half_closes_and_the_client_exits_0_when_the_server_closes()
    {
        using var server = new LineServer();
        using var terminal = ScriptTerminal.Start($"{ScriptTerminal.Switchboard("connect", "127.0.0.1", server.Port, "--exit-on-eof")}; echo EXIT=$?");
        using var accepted = await server.AcceptAsync();
        await terminal.WaitForOutputAsync(o => o.Contains("|.........", StringComparison.Ordinal), "the spinner");

        await terminal.TypeAsync("last words\r\x04");
        Assert.Equal("last words\n", await accepted.ReceiveToEndAsync()); // then end of stream
        accepted.Send("goodbye\n"u8);
        accepted.Shutdown(SocketShutdown.Both);

        Assert.Equal(0, await terminal.WaitForExitAsync());
        Assert.Equal(["last words", "Received: goodbye", "Remote end closed connection; exiting.", "EXIT=0"], TerminalScreen.Of(terminal.Output).Lines.TakeLast(4));
    }

    private static bool SpinnerAfter(string text, string output) => After(text, "..|.......", output);

    private static bool After(string first, string then, string output)
    {
        int at = output.IndexOf(first, StringComparison.Ordinal);
        return at >= 0 && output.IndexOf(then, at + first.Length, StringComparison.Ordinal) > 0;
    }

    private static Regex StatusLine(string typed) => new($@"^[.|]{{10}} {Regex.Escape(typed)}$");

    private static async Task<string> ReceiveLineAsync(Socket socket)
    {
        var received = new StringBuilder();
        var buffer = new byte[256];
        while (!received.ToString().Contains('\n', StringComparison.Ordinal))
        {
            int n = await socket.ReceiveAsync(buffer).WaitAsync(Timeouts.Patient);
            Assert.True(n > 0, $"closed after '{received}'");
            received.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }

        return received.ToString();
    }

    /// <summary>A bare listener on loopback, so a test says exactly what the client receives.</summary>
    private sealed class LineServer : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        public LineServer()
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen();
        }

        public string Port => ((IPEndPoint)_listener.LocalEndPoint!).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        public async Task<Socket> AcceptAsync() => await _listener.AcceptAsync().WaitAsync(Timeouts.Patient);

        public void Dispose() => _listener.Dispose();
    }
}
