using System.Text;

namespace Switchboard.Clients;

/// <summary>
/// The interactive display: each line received printed as <c>Received: TEXT</c>, and on a terminal
/// a status line at the bottom (the spinner, then the line being typed) that is wiped before any
/// other output and drawn again after it, so nothing received lands in the middle of the typing
/// and nothing of the status line is left behind.
/// </summary>
internal sealed class LinesDisplay : IClientDisplay
{
    private const string EraseToEndOfLine = "\x1b[K";
    private const int FallbackWidth = 80;

    private readonly TextWriter _output;
    private readonly Spinner? _spinner;
    private readonly bool _terminal;
    private readonly LineEditor? _editor;
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private readonly StringBuilder _pending = new();
    private char[] _chars = new char[4096];
    private string _frame = "";
    private bool _statusShown;

    /// <param name="output">Where everything goes.</param>
    /// <param name="spinner">Draw the spinner while waiting.</param>
    /// <param name="terminal">Output is a terminal: clear the status line with control codes, and mark Ctrl-C with <c>^C</c> and a newline.</param>
    /// <param name="editor">The line being typed, drawn after the spinner (character mode); null when the terminal echoes typing itself.</param>
    public LinesDisplay(TextWriter output, bool spinner, bool terminal, LineEditor? editor)
    {
        _output = output;
        _spinner = spinner ? new Spinner() : null;
        _terminal = terminal || spinner;
        _editor = editor;
    }

    public void Received(ReadOnlySpan<byte> data)
    {
        int needed = _decoder.GetCharCount(data, flush: false);
        if (_chars.Length < needed)
            _chars = new char[needed];
        int n = _decoder.GetChars(data, _chars, flush: false);
        _pending.Append(_chars, 0, n);
        bool printed = false;
        for (int end; (end = IndexOfNewline()) >= 0;)
        {
            string line = _pending.ToString(0, end).TrimEnd('\r');
            _pending.Remove(0, end + 1);
            Say($"Received: {line}");
            printed = true;
        }

        if (printed)
            DrawStatus();
    }

    public void Idle()
    {
        // A quiet tick: show a line that arrived without its end (a prompt, say), then spin.
        if (PrintPartialLine() || _spinner is not null)
        {
            if (_spinner is not null)
                _frame = _spinner.Next() + " ";
            DrawStatus();
        }
    }

    public void Typing() => DrawStatus();

    public void Sent(string line)
    {
        Say(line); // stays on screen, as a terminal's own echo would have left it
        DrawStatus();
    }

    public void RemoteClosed()
    {
        PrintPartialLine();
        Say("Remote end closed connection; exiting.");
    }

    public void Failed(string reason)
    {
        PrintPartialLine();
        Say($"Problem occurred; exiting. ({reason})");
    }

    public void Cancelled()
    {
        PrintPartialLine();
        if (!_terminal)
            return;
        // Whatever is on the last line (spinner, typing, the terminal's own echo of ^C) goes; what
        // was typed stays, marked as interrupted the way a shell marks it, and the line is ended
        // so the shell's prompt starts on a clean one.
        _output.Write('\r');
        _output.Write(EraseToEndOfLine);
        _output.Write(_editor?.Text);
        _output.WriteLine("^C");
        _output.Flush();
        _statusShown = false;
    }

    private bool PrintPartialLine()
    {
        if (_pending.Length == 0)
            return false;
        string text = _pending.ToString();
        _pending.Clear();
        Say($"Received: {text}");
        return true;
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
        ClearStatus();
        _output.WriteLine(line);
        _output.Flush();
    }

    private void DrawStatus()
    {
        string typed = _editor?.Text ?? "";
        if (!_terminal || (_frame.Length == 0 && typed.Length == 0 && !_statusShown))
            return;
        _output.Write('\r');
        _output.Write(_frame);
        if (_editor is not null)
        {
            _output.Write(Visible(typed, _frame.Length));
            _output.Write(EraseToEndOfLine);
        }

        // else the terminal echoes typing itself, after the spinner: leave it be
        _output.Flush();
        _statusShown = true;
    }

    private void ClearStatus()
    {
        if (!_statusShown)
            return;
        _output.Write('\r');
        _output.Write(EraseToEndOfLine);
        _statusShown = false;
    }

    /// <summary>The end of <paramref name="typed"/> that fits on the line after <paramref name="used"/> columns (a wrapped status line could not be redrawn).</summary>
    private string Visible(string typed, int used)
    {
        if (typed.Length == 0 || _editor is null)
            return typed;
        int width = TerminalWidth();
        int room = Math.Max(1, width - used - 1);
        return typed.Length <= room ? typed : typed[^room..];
    }

    /// <summary>The terminal's width in columns (80 when it does not say).</summary>
    public static int TerminalWidth()
    {
        try
        {
            int width = Console.WindowWidth;
            return width > 0 ? width : FallbackWidth;
        }
        catch (IOException)
        {
            return FallbackWidth;
        }
    }
}
