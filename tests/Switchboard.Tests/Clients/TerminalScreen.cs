using System.Text;

namespace Switchboard.Tests.Clients;

/// <summary>
/// What a terminal shows after a stream of output, as far as the client's output needs: printable
/// characters, carriage return, line feed, backspace, and erasing in the line (<c>ESC [ K</c>,
/// <c>ESC [ 2 K</c>); other escape sequences are dropped. Lines do not wrap.
/// </summary>
internal sealed class TerminalScreen
{
    private readonly List<StringBuilder> _lines = [new()];
    private int _row;
    private int _column;

    public static TerminalScreen Of(string output)
    {
        var screen = new TerminalScreen();
        screen.Feed(output);
        return screen;
    }

    /// <summary>The lines on screen, without trailing blanks, and without the empty lines below the last written one.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            var lines = _lines.Select(l => l.ToString().TrimEnd()).ToList();
            while (lines.Count > 0 && lines[^1].Length == 0)
                lines.RemoveAt(lines.Count - 1);
            return lines;
        }
    }

    private void Feed(string output)
    {
        for (int i = 0; i < output.Length; i++)
        {
            char c = output[i];
            switch (c)
            {
                case '\r':
                    _column = 0;
                    break;
                case '\n':
                    _row++;
                    if (_row == _lines.Count)
                        _lines.Add(new StringBuilder());
                    break;
                case '\b':
                    _column = Math.Max(0, _column - 1);
                    break;
                case '\x1b':
                    i = Escape(output, i);
                    break;
                default:
                    if (!char.IsControl(c))
                        Put(c);
                    break;
            }
        }
    }

    /// <summary>Applies the escape sequence starting at <paramref name="start"/>; returns the index of its last character.</summary>
    private int Escape(string output, int start)
    {
        if (start + 1 >= output.Length)
            return start;
        if (output[start + 1] != '[')
            return start + 1; // ESC and one character, e.g. ESC = (keypad mode)
        int end = start + 2;
        while (end < output.Length && output[end] is < '@' or > '~')
            end++;
        if (end < output.Length && output[end] == 'K')
        {
            var line = _lines[_row];
            string parameter = output[(start + 2)..end];
            if (parameter == "2")
                line.Clear();
            else if (parameter is "" or "0" && line.Length > _column)
                line.Length = _column;
        }

        return end;
    }

    private void Put(char c)
    {
        var line = _lines[_row];
        while (line.Length < _column)
            line.Append(' ');
        if (_column < line.Length)
            line[_column] = c;
        else
            line.Append(c);
        _column++;
    }
}
