using System.Net.Sockets;
using System.Text;

namespace Switchboard.Clients;

/// <summary>
/// The seeds' non-blocking client, made usable: waits for data 50 ms at a time without blocking
/// (drawing the spinner meanwhile, if asked), prints what arrives as <c>Received: TEXT</c>, one line
/// each, and sends what is typed on stdin, so it also serves as a chat client.
/// </summary>
public sealed class ConsoleClient
{
    /// <summary>How long each wait lasts; the spinner moves once per empty wait.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);

    private readonly Socket _socket;
    private readonly ClientWaitMode _mode;
    private readonly TextWriter _output;
    private readonly bool _readStdin;
    private readonly Spinner? _spinner;
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private readonly StringBuilder _pending = new();
    private char[] _chars = new char[4096];
    private bool _spinnerShown;

    /// <summary>Creates a client over a connected socket.</summary>
    /// <param name="socket">Connected to the server.</param>
    /// <param name="mode">How to wait for data.</param>
    /// <param name="output">Where <c>Received:</c> lines (and the spinner) go.</param>
    /// <param name="spinner">Draw the spinner while waiting (meant for a terminal).</param>
    /// <param name="readStdin">Send what arrives on the process's stdin to the server.</param>
    public ConsoleClient(Socket socket, ClientWaitMode mode, TextWriter output, bool spinner, bool readStdin)
    {
        _socket = socket;
        _mode = mode;
        _output = output;
        _readStdin = readStdin;
        _spinner = spinner ? new Spinner() : null;
    }

    /// <summary>Runs until the server closes, the socket fails, or <paramref name="cancellation"/> fires.</summary>
    /// <param name="cancellation">Stops the client (Ctrl-C).</param>
    public async Task<ClientOutcome> RunAsync(CancellationToken cancellation)
    {
        using var waiter = CreateWaiter();
        var events = new List<ClientEvent>();
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
                Idle();
                continue;
            }

            foreach (var e in events)
            {
                switch (e.Kind)
                {
                    case ClientEventKind.Received:
                        Print(e.Data.Span);
                        break;
                    case ClientEventKind.Input:
                        SendAll(e.Data.Span);
                        break;
                    case ClientEventKind.RemoteClosed:
                        PrintPartialLine();
                        Say("Remote end closed connection; exiting.");
                        return ClientOutcome.RemoteClosed;
                    case ClientEventKind.Failed:
                        PrintPartialLine();
                        Say($"Problem occurred; exiting. ({e.Reason})");
                        return ClientOutcome.Failed;
                }
            }
        }

        PrintPartialLine();
        ClearSpinner();
        return ClientOutcome.Cancelled;
    }

    private IClientWaiter CreateWaiter()
    {
        var stdin = _readStdin && _mode != ClientWaitMode.Poll ? new StdinReader(Console.OpenStandardInput()) : null;
        return _mode switch
        {
            ClientWaitMode.Poll => new PollWaiter(_socket, _readStdin),
            ClientWaitMode.Select => new SelectWaiter(_socket, stdin),
            _ => new AsyncWaiter(_socket, stdin),
        };
    }

    private void Idle()
    {
        // A quiet tick: show a line that arrived without its end (a prompt, say), then spin.
        PrintPartialLine();
        if (_spinner is null)
            return;
        _output.Write('\r');
        _output.Write(_spinner.Next());
        _output.Write(' ');
        _output.Flush();
        _spinnerShown = true;
    }

    private void Print(ReadOnlySpan<byte> data)
    {
        int needed = _decoder.GetCharCount(data, flush: false);
        if (_chars.Length < needed)
            _chars = new char[needed];
        int n = _decoder.GetChars(data, _chars, flush: false);
        _pending.Append(_chars, 0, n);
        for (int end; (end = IndexOfNewline()) >= 0;)
        {
            string line = _pending.ToString(0, end).TrimEnd('\r');
            _pending.Remove(0, end + 1);
            Say($"Received: {line}");
        }
    }

    private void PrintPartialLine()
    {
        if (_pending.Length == 0)
            return;
        string text = _pending.ToString();
        _pending.Clear();
        Say($"Received: {text}");
    }

    private int IndexOfNewline()
    {
        for (int i = 0; i < _pending.Length; i++)
        {
            if (_pending[i] == '\n')
                return i;
        }

        return -1;
    }

    private void Say(string line)
    {
        ClearSpinner();
        _output.WriteLine(line);
        _output.Flush();
    }

    private void ClearSpinner()
    {
        if (!_spinnerShown)
            return;
        _output.Write('\r');
        _output.Write(new string(' ', 12));
        _output.Write('\r');
        _spinnerShown = false;
    }

    private void SendAll(ReadOnlySpan<byte> data)
    {
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
