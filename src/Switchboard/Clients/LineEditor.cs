using System.Globalization;
using System.Text;

namespace Switchboard.Clients;

/// <summary>
/// The line being typed at a terminal in character mode (no echo, no kernel line editing): keys
/// come in as bytes; printable characters are added, Backspace takes the last character off,
/// Ctrl-U clears the line, Enter completes it, Ctrl-D on an empty line ends the input. Other
/// control keys (Tab aside) and escape sequences (arrows, function keys) are ignored.
/// </summary>
internal sealed class LineEditor
{
    private const char Escape = '\x1b';
    private const char EndOfText = '\x04'; // Ctrl-D
    private const char KillLine = '\x15'; // Ctrl-U
    private const char BackspaceKey = '\x7f';
    private const char CtrlH = '\b';

    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private readonly StringBuilder _line = new();
    private char[] _chars = new char[256];
    private EscapeState _escape;

    private enum EscapeState
    {
        None,
        Started, // after ESC
        Sequence, // after ESC [ or ESC O: parameters until a final byte
    }

    /// <summary>What has been typed on the current line so far.</summary>
    public string Text => _line.ToString();

    /// <summary>True once Ctrl-D was pressed on an empty line; later keys are ignored.</summary>
    public bool Ended { get; private set; }

    /// <summary>Applies <paramref name="keys"/>; each line completed by Enter is added to <paramref name="completed"/>.</summary>
    public void Type(ReadOnlySpan<byte> keys, List<string> completed)
    {
        int needed = _decoder.GetCharCount(keys, flush: false);
        if (_chars.Length < needed)
            _chars = new char[needed];
        int n = _decoder.GetChars(keys, _chars, flush: false);
        foreach (char c in _chars.AsSpan(0, n))
        {
            if (Ended)
                return;
            if (SkipEscape(c))
                continue;
            switch (c)
            {
                case '\r' or '\n':
                    completed.Add(_line.ToString());
                    _line.Clear();
                    break;
                case BackspaceKey or CtrlH:
                    RemoveLastCharacter();
                    break;
                case KillLine:
                    _line.Clear();
                    break;
                case EndOfText:
                    Ended = _line.Length == 0;
                    break;
                case Escape:
                    _escape = EscapeState.Started;
                    break;
                default:
                    if (!char.IsControl(c) || c == '\t') // a pasted tab is part of the text
                        _line.Append(c);
                    break;
            }
        }
    }

    private bool SkipEscape(char c)
    {
        switch (_escape)
        {
            case EscapeState.Started:
                _escape = c is '[' or 'O' ? EscapeState.Sequence : EscapeState.None;
                return true;
            case EscapeState.Sequence:
                if (c is >= '@' and <= '~')
                    _escape = EscapeState.None; // the final byte
                return true;
            default:
                return false;
        }
    }

    private void RemoveLastCharacter()
    {
        if (_line.Length == 0)
            return;
        string text = _line.ToString();
        var elements = StringInfo.ParseCombiningCharacters(text); // a letter with its accents, a surrogate pair: one character
        _line.Length = elements[^1];
    }
}
