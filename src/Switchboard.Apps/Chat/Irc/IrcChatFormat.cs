using System.Text;

namespace Switchboard.Apps.Chat.Irc;

/// <summary>
/// IRC's wording of what happens in a room, the same for everyone who sees it, so encoded once per
/// event however many IRC members read it: talk and actions as <c>PRIVMSG</c> from
/// <c>nick!nick@switchboard</c>, joins, parts, renames and quits as the commands IRC clients
/// expect. What answers one member (numerics, private messages) depends on who reads it and is
/// written by <see cref="IrcMember"/> instead.
/// </summary>
internal sealed class IrcChatFormat : ChatFormat
{
    /// <summary>The server's name in numerics and the host part of every member's address.</summary>
    public const string ServerName = "switchboard";

    public static readonly IrcChatFormat Instance = new();

    private IrcChatFormat()
    {
    }

    /// <summary>True if <paramref name="kind"/> reads the same to everyone, so this format writes it.</summary>
    public static bool IsShared(ChatEventKind kind) => kind is ChatEventKind.Talk or ChatEventKind.Action or ChatEventKind.Joined
        or ChatEventKind.Left or ChatEventKind.Renamed or ChatEventKind.Quit or ChatEventKind.Dropped or ChatEventKind.TooSlow
        or ChatEventKind.Lost or ChatEventKind.NodeStopped or ChatEventKind.Topic;

    /// <summary>How a member is named as the source of a line: <c>nick!nick@switchboard</c>.</summary>
    public static string Source(string nick) => $"{nick}!{nick}@{ServerName}";

    /// <summary>The longest line this server sends, without its <c>\r\n</c> (and without tags): IRC's 512 bytes in all.</summary>
    public const int MaxLineBytes = 510;

    /// <summary>
    /// The line for a shared event, without its line end; <paramref name="text"/> replaces the
    /// event's text (for history). Talk longer than one IRC line allows (a line-protocol user may
    /// say up to its own limit, and the source prefix adds to it) is split over several lines, one
    /// after another, each within <see cref="MaxLineBytes"/>: nothing is cut off.
    /// </summary>
    public static string Line(ChatEvent e, string? text = null) => e.Kind switch
    {
        ChatEventKind.Talk => Fitted($":{Source(e.Nick)} {(e.Notice ? "NOTICE" : "PRIVMSG")} #{e.Room} :", text ?? e.Text, ""),
        ChatEventKind.Action => Fitted($":{Source(e.Nick)} PRIVMSG #{e.Room} :\u0001ACTION ", text ?? e.Text, "\u0001"),
        ChatEventKind.Joined => $":{Source(e.Nick)} JOIN #{e.Room}",
        ChatEventKind.Left => e.Text.Length > 0 ? $":{Source(e.Nick)} PART #{e.Room} :{e.Text}" : $":{Source(e.Nick)} PART #{e.Room}",
        ChatEventKind.Renamed => $":{Source(e.Nick)} NICK :{e.Other}",
        ChatEventKind.Quit => $":{Source(e.Nick)} QUIT :{(e.Text.Length > 0 ? "Quit: " + e.Text : "Quit")}",
        ChatEventKind.Dropped => $":{Source(e.Nick)} QUIT :Connection closed",
        ChatEventKind.TooSlow => $":{Source(e.Nick)} QUIT :Too slow (reading)",
        ChatEventKind.Lost => $":{Source(e.Nick)} QUIT :Connection lost",
        ChatEventKind.NodeStopped => $":{Source(e.Nick)} QUIT :Server shutting down",
        ChatEventKind.Topic => $":{Source(e.Nick)} TOPIC #{e.Room} :{e.Text}", // at most TopicLength bytes: fits
        _ => throw new ArgumentException($"{e.Kind} is not a shared event", nameof(e)),
    };

    /// <summary>
    /// <paramref name="head"/>, <paramref name="text"/>, <paramref name="tail"/> as one line, or as
    /// several (joined by <c>\r\n</c>) each with the head and tail and a piece of the text, if one
    /// would pass <see cref="MaxLineBytes"/>. Pieces end at a space where one is near, and never
    /// inside a character.
    /// </summary>
    public static string Fitted(string head, string text, string tail)
    {
        int room = MaxLineBytes - Encoding.UTF8.GetByteCount(head) - Encoding.UTF8.GetByteCount(tail);
        if (Encoding.UTF8.GetByteCount(text) <= room)
            return head + text + tail;
        var lines = new List<string>();
        int start = 0;
        while (start < text.Length)
        {
            int end = start, bytes = 0, lastSpace = -1;
            while (end < text.Length)
            {
                int width = char.IsHighSurrogate(text[end]) && end + 1 < text.Length ? 2 : 1;
                int size = Encoding.UTF8.GetByteCount(text.AsSpan(end, width));
                if (bytes + size > room)
                    break;
                if (text[end] == ' ')
                    lastSpace = end;
                bytes += size;
                end += width;
            }

            // Break after a space in the last quarter of the piece, if there is one.
            if (end < text.Length && lastSpace > start + ((end - start) * 3 / 4))
                end = lastSpace + 1;
            lines.Add(head + text[start..end] + tail);
            start = end;
        }

        return string.Join("\r\n", lines);
    }

    protected internal override byte[] Encode(ChatEvent chatEvent) => Encoding.UTF8.GetBytes(Line(chatEvent) + "\r\n");
}
