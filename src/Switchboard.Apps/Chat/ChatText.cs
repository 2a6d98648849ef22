using System.Text;
using System.Text.RegularExpressions;

namespace Switchboard.Apps.Chat;

/// <summary>What users may type: names, and text with terminal controls removed.</summary>
internal static partial class ChatText
{
    /// <summary>Nicks and room names: 1-20 letters, digits, <c>_</c> or <c>-</c>.</summary>
    public static bool IsValidName(string name) => NameForm().IsMatch(name);

    /// <summary>
    /// False for binary garbage: a line with a NUL, or one where more than a quarter of the
    /// characters are U+FFFD (what invalid UTF-8 decodes to). Such a line is not someone typing,
    /// and relaying it would triple its size (each bad byte becomes three). One bad byte is
    /// always allowed: in a short line it is a typo (a Latin-1 character), not garbage.
    /// </summary>
    public static bool IsText(string line)
    {
        var span = line.AsSpan();
        int replaced = span.Count('\uFFFD');
        return !span.Contains('\0') && (replaced <= 1 || replaced * 4 <= span.Length);
    }

    /// <summary>
    /// Removes C0 controls but tab, DEL and C1 controls, so no one can move another user's cursor,
    /// clear their screen or start an escape sequence. Returns the same string when clean.
    /// </summary>
    public static string RemoveControls(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\0', '\x1f') && !text.AsSpan().ContainsAnyInRange('\x7f', '\x9f'))
            return text;
        var clean = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (c == '\t' || !(c < ' ' || c is >= '\x7f' and <= '\x9f'))
                clean.Append(c);
        }

        return clean.ToString();
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,20}$")]
    private static partial Regex NameForm();
}
