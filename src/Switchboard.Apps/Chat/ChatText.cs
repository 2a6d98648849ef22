using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Switchboard.Apps.Chat;

/// <summary>What users may type: names, and text with terminal controls and invisible characters removed.</summary>
internal static partial class ChatText
{
    /// <summary>The longest nick or room name (without <c>#</c>).</summary>
    public const int MaxNameLength = 20;

    /// <summary>Nicks and room names: 1-<see cref="MaxNameLength"/> ASCII letters (a-z, A-Z), digits, <c>_</c> or <c>-</c>.</summary>
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

    /// <summary>Most combining marks kept on one character; more are dropped (they pile up over other lines).</summary>
    public const int MaxCombiningMarks = 4;

    /// <summary>Tab and printable ASCII: a line of only these is clean as it is.</summary>
    private static readonly SearchValues<char> PlainAscii = SearchValues.Create("\t !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    /// <summary>
    /// One bit per UTF-16 code unit: set for those <see cref="Clean"/> must look at one by one
    /// (controls, invisibles, combining marks, and surrogates: the halves of a character outside
    /// the BMP, which may be a mark or an emoji). 8 KiB, built once from the Unicode categories.
    /// </summary>
    private static readonly ulong[] SpecialBits = BuildSpecialBits();

    /// <summary>
    /// Removes, in one pass, what would let a user drive or deceive another user's terminal:
    /// whole ANSI escape sequences (CSI <c>ESC [ … final</c>; OSC, DCS, SOS, PM and APC strings up
    /// to BEL or ST, or to the end of the line; any other <c>ESC</c> with its intermediates and
    /// final character); the other C0 controls but tab, DEL and C1 controls; the invisible
    /// characters that reorder or hide text (bidi embeddings, overrides, isolates and marks
    /// U+202A–202E, U+2066–2069, U+200E, U+200F, U+061C; zero-width U+200B–200D, U+2060–2064,
    /// U+FEFF, U+180E; line and paragraph separators U+2028, U+2029), keeping a zero-width joiner
    /// between two emoji; and combining marks beyond <see cref="MaxCombiningMarks"/> on one
    /// character. Returns the same string, allocating nothing, when there is nothing to remove.
    /// </summary>
    public static string Clean(string text)
    {
        int start = text.AsSpan().IndexOfAnyExcept(PlainAscii);
        if (start < 0)
            return text;

        StringBuilder? clean = null; // made at the first character removed
        int marks = 0; // combining marks on the current character so far
        for (int i = start; i < text.Length;)
        {
            if (!IsSpecial(text[i]))
            {
                // Plain characters up to the next special one (or the end): kept, each a new base.
                int end = SkipPlain(text, i + 1);
                clean?.Append(text, i, end - i);
                marks = 0;
                i = end;
                continue;
            }

            char c = text[i];
            int length = 1;
            bool keep;
            if (c == '\x1b')
            {
                length = EscapeLength(text, i);
                keep = false;
            }
            else if (c is < ' ' or (>= '\x7f' and <= '\x9f'))
            {
                keep = false;
            }
            else if (IsInvisible(c))
            {
                keep = c == '\u200D' && JoinsEmoji(text, i);
            }
            else
            {
                // A combining mark, or a surrogate: outside the BMP, a mark or anything else.
                int scalar = c;
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    scalar = char.ConvertToUtf32(c, text[i + 1]);
                    length = 2;
                }

                if (CharUnicodeInfo.GetUnicodeCategory(scalar) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark)
                {
                    keep = ++marks <= MaxCombiningMarks;
                }
                else
                {
                    keep = true;
                    marks = 0;
                }
            }

            if (keep)
            {
                clean?.Append(text, i, length);
            }
            else if (clean is null)
            {
                clean = new StringBuilder(text.Length);
                clean.Append(text, 0, i);
            }

            i += length;
        }

        return clean?.ToString() ?? text;
    }

    /// <summary>Where the run of plain characters from <paramref name="at"/> ends: runs of ASCII are skipped vectorized, the rest by the table.</summary>
    private static int SkipPlain(string text, int at)
    {
        while (at < text.Length)
        {
            if (text[at] < '\x80')
            {
                int ascii = text.AsSpan(at).IndexOfAnyExcept(PlainAscii);
                if (ascii < 0)
                    return text.Length;
                if (ascii == 0)
                    return at;
                at += ascii;
            }
            else if (IsSpecial(text[at]))
            {
                return at;
            }
            else
            {
                at++;
            }
        }

        return at;
    }

    private static bool IsSpecial(char c) => (SpecialBits[c >> 6] & (1UL << c)) != 0;

    private static ulong[] BuildSpecialBits()
    {
        var bits = new ulong[(char.MaxValue + 1) / 64];
        for (int i = 0; i <= char.MaxValue; i++)
        {
            char c = (char)i;
            if ((c < ' ' && c != '\t') || c is (>= '\x7f' and <= '\x9f') || IsInvisible(c) || char.IsSurrogate(c)
                || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark)
                bits[i >> 6] |= 1UL << i;
        }

        return bits;
    }

    /// <summary>Characters that show nothing themselves but reorder, join, hide or break the text around them.</summary>
    private static bool IsInvisible(char c) =>
        c is '\u061C' or '\u180E' or (>= '\u200B' and <= '\u200F') or (>= '\u2028' and <= '\u202E')
            or (>= '\u2060' and <= '\u2064') or (>= '\u2066' and <= '\u2069') or '\uFEFF';

    /// <summary>
    /// Whether the zero-width joiner at <paramref name="at"/> joins two emoji (👩‍👩‍👧, 🏃‍♀️): it
    /// follows a symbol, a skin tone or an emoji presentation selector and comes before a symbol.
    /// </summary>
    private static bool JoinsEmoji(string text, int at)
    {
        if (at == 0 || at + 1 >= text.Length)
            return false;
        int before = text[at - 1];
        if (char.IsLowSurrogate(text[at - 1]) && at >= 2 && char.IsHighSurrogate(text[at - 2]))
            before = char.ConvertToUtf32(text[at - 2], text[at - 1]);
        int after = text[at + 1];
        if (char.IsHighSurrogate(text[at + 1]) && at + 2 < text.Length && char.IsLowSurrogate(text[at + 2]))
            after = char.ConvertToUtf32(text[at + 1], text[at + 2]);
        bool symbolBefore = before == '\uFE0F' || CharUnicodeInfo.GetUnicodeCategory(before) is UnicodeCategory.OtherSymbol or UnicodeCategory.ModifierSymbol;
        return symbolBefore && CharUnicodeInfo.GetUnicodeCategory(after) == UnicodeCategory.OtherSymbol;
    }

    /// <summary>How many characters the escape sequence starting with the ESC at <paramref name="at"/> spans, ESC included.</summary>
    private static int EscapeLength(string text, int at)
    {
        int i = at + 1;
        if (i == text.Length)
            return 1;
        switch (text[i])
        {
            case '[':
                // CSI: parameter (0x30-0x3F) and intermediate (0x20-0x2F) characters, then a final one (0x40-0x7E).
                i++;
                while (i < text.Length && text[i] is >= ' ' and <= '?')
                    i++;
                if (i < text.Length && text[i] is >= '@' and <= '~')
                    i++;
                return i - at;
            case ']' or 'P' or 'X' or '^' or '_':
                // OSC, DCS, SOS, PM, APC: a string ended by BEL or ST (ESC \ or U+009C); a terminal
                // would swallow the rest of the line while waiting for the end, and so do we.
                for (i++; i < text.Length; i++)
                {
                    if (text[i] is '\a' or '\u009C')
                        return i + 1 - at;
                    if (text[i] == '\x1b' && i + 1 < text.Length && text[i + 1] == '\\')
                        return i + 2 - at;
                }

                return i - at;
            default:
                // Any other escape: intermediate characters (0x20-0x2F), then a final one (0x30-0x7E).
                while (i < text.Length && text[i] is >= ' ' and <= '/')
                    i++;
                if (i < text.Length && text[i] is >= '0' and <= '~')
                    i++;
                return i - at;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,20}$")]
    private static partial Regex NameForm();
}
