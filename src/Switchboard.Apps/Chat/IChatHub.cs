namespace Switchboard.Apps.Chat;

/// <summary>
/// The chat's shared state and its fan-out: names, rooms, history, and the wording of what it
/// tells people. The protocol only parses lines and checks their form; everything that depends
/// on who else is there happens here, and every answer, error included, reaches the member as a
/// delivered line. Nothing is returned, so an implementation may live elsewhere (a forking
/// server's parent, a Redis backplane) and answer later. Implementations must be safe to call
/// from many connections' callbacks at once, and keep one member's calls in order.
/// </summary>
public interface IChatHub
{
    /// <summary><c>/nick NAME</c>: the first name puts the member in the lobby; later ones rename them.</summary>
    /// <param name="member">Who.</param>
    /// <param name="nick">A name of valid form.</param>
    void Nick(ChatMember member, string nick);

    /// <summary><c>/join ROOM</c>: moves the member, replaying the room's history to them.</summary>
    /// <param name="member">Who.</param>
    /// <param name="room">A room name of valid form.</param>
    void Join(ChatMember member, string room);

    /// <summary>A plain line, said to the member's room.</summary>
    /// <param name="member">The speaker.</param>
    /// <param name="text">Clean, non-empty text.</param>
    void Say(ChatMember member, string text);

    /// <summary><c>/me TEXT</c>.</summary>
    /// <param name="member">The actor.</param>
    /// <param name="text">Clean, non-empty text.</param>
    void Act(ChatMember member, string text);

    /// <summary><c>/msg NICK TEXT</c>.</summary>
    /// <param name="member">The sender.</param>
    /// <param name="nick">The recipient's name, any case.</param>
    /// <param name="text">Clean, non-empty text.</param>
    void Whisper(ChatMember member, string nick, string text);

    /// <summary><c>/rooms</c>: the rooms and their sizes, told to the member.</summary>
    /// <param name="member">Who asks.</param>
    void ListRooms(ChatMember member);

    /// <summary><c>/who</c>: the names in the member's room, told to the member.</summary>
    /// <param name="member">Who asks.</param>
    void ListWho(ChatMember member);

    /// <summary>The member leaves: <see cref="Farewell.Quit"/> (with <paramref name="message"/>), dropped, too slow, or silently at shutdown.</summary>
    /// <param name="member">Who leaves.</param>
    /// <param name="how">What the room is told.</param>
    /// <param name="message">For <see cref="Farewell.Quit"/>: the quit message, or empty.</param>
    void Leave(ChatMember member, Farewell how, string message = "");
}
