using System.Net.Sockets;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Switchboard.Clients;

/// <summary>
/// The seeds' non-blocking client, made usable: waits for data 50 ms at a time without blocking
/// (drawing the spinner meanwhile, if asked), prints what arrives as <c>Received: TEXT</c>, one line
/// each, and sends what is typed on stdin, so it also serves as a chat client. In plain mode it
/// copies the server's bytes to its output unchanged instead, for scripts.
/// </summary>
public sealed class ConsoleClient
{
    /// <summary>How long each wait lasts; the spinner moves once per empty wait.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);

    private readonly Socket _socket;
    private readonly ClientWaitMode _mode;
    private readonly bool _readStdin;
    private readonly Func<LineEditor?, IClientDisplay> _createDisplay;
    private readonly List<string> _typedLines = [];

    /// <summary>Creates a client over a connected socket that prints lines as <c>Received: TEXT</c>.</summary>
    /// <param name="socket">Connected to the server.</param>
    /// <param name="mode">How to wait for data.</param>
    /// <param name="output">Where <c>Received:</c> lines (and the spinner) go.</param>
    /// <param name="spinner">Draw the spinner while waiting (meant for a terminal).</param>
    /// <param name="readStdin">Send what arrives on the process's stdin to the server.</param>
    public ConsoleClient(Socket socket, ClientWaitMode mode, TextWriter output, bool spinner, bool readStdin)
    {
        _socket = socket;
        _mode = mode;
        _readStdin = readStdin;
        _createDisplay = editor => new LinesDisplay(output, spinner, Terminal, editor);
    }

    /// <summary>Creates a client in plain mode: the server's bytes are copied to <paramref name="output"/> as they arrive, and nothing else is written.</summary>
    /// <param name="socket">Connected to the server.</param>
    /// <param name="mode">How to wait for data.</param>
    /// <param name="output">Where the server's bytes go.</param>
    /// <param name="readStdin">Send what arrives on the process's stdin to the server.</param>
    public ConsoleClient(Socket socket, ClientWaitMode mode, Stream output, bool readStdin)
    {
        _socket = socket;
        _mode = mode;
        _readStdin = readStdin;
        _createDisplay = _ => new PlainDisplay(output);
    }

    /// <summary>
    /// The output is the process's terminal (not plain mode): the status line is wiped with terminal
    /// control codes, Ctrl-C is marked <c>^C</c> and ends the line, and, when stdin is that
    /// terminal too (on Linux), the client edits the line being typed itself and draws it again
    /// below whatever arrives.
    /// </summary>
    public bool Terminal { get; init; }

    /// <summary>
    /// At end of stdin, shut down the sending side of the connection (as <c>nc -N</c> does), so
    /// the server sees end of input; what it still sends is printed, and the session ends when it closes.
    /// </summary>
    public bool HalfCloseAtEndOfInput { get; init; }

    /// <summary>
    /// A TLS session made over the socket (<see cref="TlsClientConnection.AuthenticateAsync"/>):
    /// what is sent and received goes through it. Every wait mode works: poll and select wait on the
    /// socket and feed what it gives to the TLS layer, and also stop waiting while plain text it has
    /// already decrypted is held (a readiness wait on the socket cannot see that); async reads the
    /// TLS stream itself.
    /// </summary>
    public TlsClientConnection? Tls { get; init; }

    /// <summary>Why the session ended, when it ended <see cref="ClientOutcome.Failed"/>.</summary>
    public string? FailureReason { get; private set; }

    /// <summary>Runs until the server closes, the socket fails, or <paramref name="cancellation"/> fires.</summary>
    /// <param name="cancellation">Stops the client (Ctrl-C).</param>
    public async Task<ClientOutcome> RunAsync(CancellationToken cancellation)
    {
        using var terminal = EnterCharacterMode();
        var editor = terminal is null ? null : new LineEditor();
        var display = _createDisplay(editor);
        using var waiter = CreateWaiter();
        var events = new List<ClientEvent>();
        bool inputOpen = _readStdin;
        while (!cancellation.IsCancellationRequested)
        {
            events.Clear();
            try
            {
                await waiter.WaitAsync(Tick, events, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (events.Count == 0)
            {
                display.Idle();
                continue;
            }

            foreach (var e in events)
            {
                switch (e.Kind)
                {
                    case ClientEventKind.Received:
                        display.Received(e.Data.Span);
                        break;
                    case ClientEventKind.Input when editor is null:
                        SendAll(e.Data.Span);
                        break;
                    case ClientEventKind.Input when inputOpen:
                        Edit(editor!, display, e.Data.Span);
                        if (editor!.Ended)
                            EndInput(ref inputOpen);
                        break;
                    case ClientEventKind.InputEnded:
                        EndInput(ref inputOpen);
                        break;
                    case ClientEventKind.RemoteClosed:
                        display.RemoteClosed();
                        return ClientOutcome.RemoteClosed;
                    case ClientEventKind.Failed:
                        FailureReason = e.Reason;
                        display.Failed(e.Reason ?? "the connection failed");
                        return ClientOutcome.Failed;
                }
            }
        }

        display.Cancelled();
        return ClientOutcome.Cancelled;
    }

    private TerminalMode? EnterCharacterMode()
    {
        if (!Terminal || !_readStdin || !OperatingSystem.IsLinux())
            return null;
        // Let .NET set up its own console handling first: it remembers the terminal's settings
        // when it does, to put back at exit, and must not remember character mode.
        _ = LinesDisplay.TerminalWidth();
        return TerminalMode.TryEnter();
    }

    private void Edit(LineEditor editor, IClientDisplay display, ReadOnlySpan<byte> keys)
    {
        string before = editor.Text;
        _typedLines.Clear();
        editor.Type(keys, _typedLines);
        foreach (string line in _typedLines)
        {
            SendAll(Encoding.UTF8.GetBytes(line + "\n"));
            display.Sent(line);
        }

        if (editor.Text != before)
            display.Typing();
    }

    private void EndInput(ref bool inputOpen)
    {
        if (!inputOpen)
            return;
        inputOpen = false;
        if (!HalfCloseAtEndOfInput)
            return;
        Tls?.TryCloseSending();
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // already gone: the receive side reports it
        }
    }

    private IClientWaiter CreateWaiter()
    {
        var stdin = _readStdin && _mode != ClientWaitMode.Poll ? new StdinReader(OpenStdin()) : null;
        return _mode switch
        {
            ClientWaitMode.Poll => new PollWaiter(_socket, ReadyReceiver(), _readStdin),
            ClientWaitMode.Select => new SelectWaiter(_socket, ReadyReceiver(), stdin),
            _ => new AsyncWaiter(_socket, Tls, stdin),
        };
    }

    private IReadyReceiver ReadyReceiver()
    {
        _socket.Blocking = false;
        return Tls is null ? new SocketReceiver(_socket) : new TlsReceiver(_socket, Tls);
    }

    /// <summary>
    /// Stdin as the bytes it gives. On Unix that is descriptor 0 itself: .NET's own console stream
    /// would edit and echo lines of a terminal itself, on top of the terminal or of character mode.
    /// </summary>
    private static Stream OpenStdin() => OperatingSystem.IsWindows()
        ? Console.OpenStandardInput()
        : new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);

    private void SendAll(ReadOnlySpan<byte> data)
    {
        if (Tls is not null)
        {
            Tls.TryWrite(data); // a failure is reported by the receiving side
            return;
        }

        while (!data.IsEmpty)
        {
            int n = _socket.Send(data, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                _socket.Poll(-1, SelectMode.SelectWrite);
                continue;
            }

            if (error != SocketError.Success)
                return; // the receive side reports the failure
            data = data[n..];
        }
    }
}
