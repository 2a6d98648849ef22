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

    /// <summary>The line for a shared event, without its line end; <paramref name="text"/> replaces the event's text (for history).</summary>
    public static string Line(ChatEvent e, string? text = null) => e.Kind switch
    {
        ChatEventKind.Talk => $":{Source(e.Nick)} PRIVMSG #{e.Room} :{text ?? e.Text}",
        ChatEventKind.Action => $":{Source(e.Nick)} PRIVMSG #{e.Room} :\u0001ACTION {text ?? e.Text}\u0001",
        ChatEventKind.Joined => $":{Source(e.Nick)} JOIN #{e.Room}",
        ChatEventKind.Left => e.Text.Length > 0 ? $":{Source(e.Nick)} PART #{e.Room} :{e.Text}" : $":{Source(e.Nick)} PART #{e.Room}",
        ChatEventKind.Renamed => $":{Source(e.Nick)} NICK :{e.Other}",
        ChatEventKind.Quit => $":{Source(e.Nick)} QUIT :{(e.Text.Length > 0 ? "Quit: " + e.Text : "Quit")}",
        ChatEventKind.Dropped => $":{Source(e.Nick)} QUIT :Connection closed",
        ChatEventKind.TooSlow => $":{Source(e.Nick)} QUIT :Too slow (reading)",
        ChatEventKind.Lost => $":{Source(e.Nick)} QUIT :Connection lost",
        ChatEventKind.NodeStopped => $":{Source(e.Nick)} QUIT :Server shutting down",
        ChatEventKind.Topic => $":{Source(e.Nick)} TOPIC #{e.Room} :{e.Text}",
        _ => throw new ArgumentException($"{e.Kind} is not a shared event", nameof(e)),
    };

    protected internal override byte[] Encode(ChatEvent chatEvent) => Encoding.UTF8.GetBytes(Line(chatEvent) + "\r\n");
}
