using System.Text;

namespace Switchboard.Apps.Chat;

/// <summary>
/// The line protocol's wording of every event: the five forms of <see cref="ChatLine"/>
/// (<c>docs/chat-protocol.md</c>, "What the server sends"), one line each.
/// </summary>
internal sealed class LineChatFormat : ChatFormat
{
    public static readonly LineChatFormat Instance = new();

    private LineChatFormat()
    {
    }

    /// <summary>The line for <paramref name="e"/>, without its line end.</summary>
    public static string Format(ChatEvent e) => e.Replayed ? ChatLine.Replayed(e.Time, DateTimeOffset.UtcNow, Live(e)) : Live(e);

    /// <summary>The line for <paramref name="e"/> as it reads when it happens.</summary>
    internal static string Live(ChatEvent e) => e.Kind switch
    {
        ChatEventKind.Talk => ChatLine.Talk(e.Nick, e.Text),
        ChatEventKind.Action => ChatLine.Action(e.Nick, e.Text),
        ChatEventKind.Private => ChatLine.Private(e.Nick, e.Text),
        ChatEventKind.Joined => ChatLine.Notice($"{e.Nick} joined #{e.Room} ({e.Count} here)"),
        // As with a quit message, a parting message comes last, after "left #ROOM: ".
        ChatEventKind.Left => ChatLine.Notice(e.Text.Length > 0 ? $"{e.Nick} left #{e.Room}: {e.Text}" : $"{e.Nick} left #{e.Room}"),
        ChatEventKind.Renamed => ChatLine.Notice($"{e.Nick} is now known as {e.Other}"),
        // The quit message is the one piece of user text in a notice: it comes last, after
        // "quit: ", so it cannot pass for the server's "quit (connection closed)".
        ChatEventKind.Quit => ChatLine.Notice(e.Text.Length > 0 ? $"{e.Nick} quit: {e.Text}" : $"{e.Nick} quit"),
        ChatEventKind.Dropped => ChatLine.Notice($"{e.Nick} quit (connection closed)"),
        ChatEventKind.TooSlow => ChatLine.Notice($"{e.Nick} left (too slow)"),
        ChatEventKind.Lost => ChatLine.Notice($"{e.Nick} quit (connection lost)"),
        ChatEventKind.NodeStopped => ChatLine.Notice($"{e.Nick} quit (server shutting down)"),
        // As with a quit message, the topic, user text, comes last.
        ChatEventKind.Topic => ChatLine.Notice(e.Text.Length > 0 ? $"{e.Nick} set the topic of #{e.Room}: {e.Text}" : $"{e.Nick} cleared the topic of #{e.Room}"),
        ChatEventKind.TopicIs => ChatLine.Notice(e.Text.Length > 0 ? $"the topic of #{e.Room} (set by {e.Other}): {e.Text}" : $"#{e.Room} has no topic"),
        ChatEventKind.WhoisReply => ChatLine.Notice(e.Nick.Length == 0 ? $"no one is called {e.Other}"
            : e.Names.Count == 0 ? $"{e.Nick} is in no room" : $"{e.Nick} is in " + string.Join(", ", e.Names.Select(room => "#" + room))),
        ChatEventKind.IsAway => ChatLine.Notice($"{e.Nick} is away: {e.Text}"),
        ChatEventKind.Registered => ChatLine.Notice($"you are {e.Nick}, in #{e.Room}"),
        ChatEventKind.NameTaken => $"! the name {e.Nick} is taken",
        ChatEventKind.NameTooLike => $"! the name {e.Nick} is too like {e.Other}; choose another",
        ChatEventKind.AlreadyNamed => $"! you are already {e.Nick}",
        ChatEventKind.NameFirst => "! choose a name first: /nick NAME",
        ChatEventKind.AlreadyInRoom => $"! you are already in #{e.Room}",
        ChatEventKind.NotInRoom => $"! you are not in #{e.Room}",
        ChatEventKind.NoSuchNick => $"! no one is called {e.Other}",
        ChatEventKind.ShuttingDown => "! not sent: the server is shutting down",
        ChatEventKind.RoomList => ChatLine.Notice("rooms: " + string.Join(", ", e.Names.Select((room, i) => $"#{room} ({e.Sizes[i]})"))),
        ChatEventKind.WhoList => ChatLine.Notice($"in #{e.Room}: " + string.Join(", ", e.Names)),
        ChatEventKind.Reply => e.Text,
        ChatEventKind.PrivateSent => ChatLine.PrivateSent(e.Other, e.Text),
        ChatEventKind.History => ChatLine.Notice($"the last {(e.Count == 1 ? "line" : $"{e.Count} lines")} of #{e.Room} (times UTC):"),
        ChatEventKind.BackplaneDown => ChatLine.Notice("chat backplane unavailable; reconnecting"),
        ChatEventKind.BackplaneBack => ChatLine.Notice("chat backplane back"),
        ChatEventKind.BackplaneNotSent => "! not sent: chat backplane unavailable",
        ChatEventKind.BackplaneUnanswered => "! perhaps not sent: the chat backplane did not answer in time",
        ChatEventKind.Missed => ChatLine.Notice($"{e.Count} lines of #{e.Room} were said while the chat backplane was away and are no longer in its history"),
        _ => ChatLine.Notice($"({e.Kind})"),
    };

    protected internal override byte[] Encode(ChatEvent chatEvent) => Encoding.UTF8.GetBytes(Format(chatEvent) + "\n");
}
