using System.Text;
using System.Text.RegularExpressions;

namespace Switchboard.Apps.Chat;

/// <summary>What users may type: names, and text with terminal controls removed.</summary>
internal static partial class ChatText
{
    /// <summary>Nicks and room names: 1-20 letters, digits, <c>_</c> or <c>-</c>.</summary>
    public static bool IsValidName(string name) => NameForm().IsMatch(name);

    /// <summary>
    /// What a name looks like, so that names which only look different are one name: lower case;
    /// <c>i</c> (so <c>I</c>), <c>l</c> and <c>1</c> (and <c>|</c>) are one letter, as are <c>o</c> and <c>0</c>;
    /// <c>rn</c> reads as <c>m</c> and <c>vv</c> as <c>w</c>. Names are ASCII, so this short list is
    /// the whole of it. Two names with the same skeleton cannot be in the chat at once.
    /// </summary>
    public static string Skeleton(string name)
    {
        Span<char> skeleton = name.Length <= 64 ? stackalloc char[name.Length] : new char[name.Length];
        int length = 0;
        foreach (char c in name)
        {
            char look = char.ToLowerInvariant(c) switch
            {
                'i' or '1' or '|' => 'l',
                '0' => 'o',
                var other => other,
            };
            char pair = length == 0 ? '\0' : (skeleton[length - 1], look) switch
            {
                ('r', 'n') => 'm',
                ('v', 'v') => 'w',
                _ => '\0',
            };
            if (pair != '\0')
                skeleton[length - 1] = pair;
            else
                skeleton[length++] = look;
        }

        return new string(skeleton[..length]);
    }

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
