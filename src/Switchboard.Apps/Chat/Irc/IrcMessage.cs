namespace Switchboard.Apps.Chat.Irc;

/// <summary>
/// One line a client sent, split as RFC 1459 and the Modern IRC documentation split it:
/// <c>[@tags] [:source] COMMAND [params...] [:trailing]</c>. Tags and source are read past and
/// dropped (a client's own tags carry nothing this server uses); the trailing parameter is the
/// last of <see cref="Params"/>.
/// </summary>
internal readonly record struct IrcMessage(string Command, IReadOnlyList<string> Params)
{
    /// <summary>Splits <paramref name="line"/>; a line with no command gives an empty <see cref="Command"/>.</summary>
    public static IrcMessage Parse(string line)
    {
        var rest = line.AsSpan().TrimStart(' ');
        if (rest.StartsWith("@"))
            rest = SkipWord(rest);
        if (rest.StartsWith(":"))
            rest = SkipWord(rest);

        int end = rest.IndexOf(' ');
        string command = (end < 0 ? rest : rest[..end]).ToString().ToUpperInvariant();
        rest = end < 0 ? [] : rest[(end + 1)..];
        var parameters = new List<string>();
        while (true)
        {
            rest = rest.TrimStart(' ');
            if (rest.IsEmpty)
                break;
            if (rest[0] == ':')
            {
                parameters.Add(rest[1..].ToString());
                break;
            }

            end = rest.IndexOf(' ');
            parameters.Add((end < 0 ? rest : rest[..end]).ToString());
            rest = end < 0 ? [] : rest[end..];
        }

        return new IrcMessage(command, parameters);
    }

    /// <summary>The parameter at <paramref name="index"/>, or empty if there are fewer.</summary>
    public string this[int index] => index < Params.Count ? Params[index] : "";

    private static ReadOnlySpan<char> SkipWord(ReadOnlySpan<char> text)
    {
        int end = text.IndexOf(' ');
        return end < 0 ? [] : text[(end + 1)..];
    }
}
