namespace Switchboard.Apps.Chat;

/// <summary>
/// The chat's shared state and its fan-out: names, rooms, history, and the wording of what it
/// tells people. The protocol only parses lines and checks their form; everything that depends
/// on who else is there happens here, and every answer, error included, reaches the member as a
/// delivered line. Nothing is returned, so an implementation may live elsewhere (a forking
/// server's parent, a Redis backplane) and answer later. Implementations must be safe to call
/// from many connections' callbacks at once, and keep one member's calls in order: the lines
/// that answer one member's calls reach that member in the order of the calls. That is why the
/// protocol's own answers go through <see cref="Tell"/> rather than straight to the connection.
/// </summary>
public interface IChatHub
{
    /// <summary><c>/nick NAME</c>: the first name puts the member in the lobby; later ones rename them.</summary>
    /// <param name="member">Who.</param>
    /// <param name="nick">A name of valid form.</param>
    void Nick(ChatMember member, string nick);

    /// <summary>
    /// <c>/join ROOM</c>: replays the room's history to the member, then puts them in it; a
    /// one-room member leaves their room for it, a member of <see cref="ChatMember.ManyRooms"/> keeps theirs.
    /// </summary>
    /// <param name="member">Who.</param>
    /// <param name="room">A room name of valid form.</param>
    void Join(ChatMember member, string room);

    /// <summary>
    /// A member of <see cref="ChatMember.ManyRooms"/> leaves one room (IRC's <c>PART</c>); the room,
    /// and they, are told. A one-room member cannot (they move with <see cref="Join"/>).
    /// </summary>
    /// <param name="member">Who.</param>
    /// <param name="room">The room, any case.</param>
    /// <param name="message">The parting message, or empty.</param>
    void Part(ChatMember member, string room, string message = "");

    /// <summary>A member of <see cref="ChatMember.ManyRooms"/> leaves every room they are in (IRC's <c>JOIN 0</c>), each as <see cref="Part"/> leaves one.</summary>
    /// <param name="member">Who.</param>
    void PartAll(ChatMember member);

    /// <summary>A plain line, said to a room the member is in.</summary>
    /// <param name="member">The speaker.</param>
    /// <param name="text">Clean, non-empty text.</param>
    /// <param name="room">The room, any case; null for the member's <see cref="ChatMember.Room"/>.</param>
    /// <param name="notice">An IRC <c>NOTICE</c>: shown as one, and never answered, not even with an error.</param>
    void Say(ChatMember member, string text, string? room = null, bool notice = false);

    /// <summary><c>/me TEXT</c>, in a room the member is in.</summary>
    /// <param name="member">The actor.</param>
    /// <param name="text">Clean, non-empty text.</param>
    /// <param name="room">The room, any case; null for the member's <see cref="ChatMember.Room"/>.</param>
    void Act(ChatMember member, string text, string? room = null);

    /// <summary><c>/msg NICK TEXT</c>.</summary>
    /// <param name="member">The sender.</param>
    /// <param name="nick">The recipient's name, any case.</param>
    /// <param name="text">Clean, non-empty text.</param>
    /// <param name="notice">An IRC <c>NOTICE</c>: shown as one, and never answered, not even with an error.</param>
    void Whisper(ChatMember member, string nick, string text, bool notice = false);

    /// <summary>
    /// A room's topic: told to the member (<see cref="ChatEventKind.TopicIs"/>), named or not, if
    /// <paramref name="text"/> is null; else set by the member, who must be in the room, and told to the room.
    /// </summary>
    /// <param name="member">Who asks or sets.</param>
    /// <param name="room">The room, any case.</param>
    /// <param name="text">The new topic (clean text; empty clears it), or null to ask.</param>
    void Topic(ChatMember member, string room, string? text = null);

    /// <summary>Who someone is: their name as spelt, their rooms, whether away (<see cref="ChatEventKind.WhoisReply"/>).</summary>
    /// <param name="member">Who asks.</param>
    /// <param name="nick">The name asked about, any case.</param>
    void Whois(ChatMember member, string nick);

    /// <summary>
    /// Marks the member away with <paramref name="message"/>, or back if it is empty: whoever sends
    /// them a private message meanwhile is told (<see cref="ChatEventKind.IsAway"/>).
    /// </summary>
    /// <param name="member">Who.</param>
    /// <param name="message">Clean text, or empty.</param>
    void Away(ChatMember member, string message);

    /// <summary><c>/rooms</c>: the rooms and their sizes, told to the member.</summary>
    /// <param name="member">Who asks.</param>
    void ListRooms(ChatMember member);

    /// <summary>
    /// <c>/who</c>: the names in a room, told to the member (none for a room that does not exist);
    /// a member without a name is told to choose one, unless they named the room.
    /// </summary>
    /// <param name="member">Who asks.</param>
    /// <param name="room">The room, any case; null for the member's <see cref="ChatMember.Room"/>.</param>
    void ListWho(ChatMember member, string? room = null);

    /// <summary>
    /// A line for <paramref name="member"/> alone (an error, <c>/help</c>, <c>*** bye</c>), delivered
    /// after the answers to the member's earlier calls, so a client reads its answers in order.
    /// </summary>
    /// <param name="member">Who is told.</param>
    /// <param name="line">One line of text, without its line end.</param>
    void Tell(ChatMember member, string line);

    /// <summary>
    /// The member leaves: <see cref="Farewell.Quit"/> (with <paramref name="message"/>), dropped,
    /// too slow, or silently at shutdown. Last, after every line told to them, the hub calls
    /// <see cref="ChatMember.Close"/>: this is how <c>/quit</c> closes without losing answers.
    /// The member makes no further calls.
    /// </summary>
    /// <param name="member">Who leaves.</param>
    /// <param name="how">What the room is told.</param>
    /// <param name="message">For <see cref="Farewell.Quit"/>: the quit message, or empty.</param>
    void Leave(ChatMember member, Farewell how, string message = "");

    /// <summary>
    /// The server is stopping, and members are about to be told goodbye one by one: from now on
    /// talk, actions and private messages are refused (<c>! not sent: the server is shutting
    /// down</c>), so none reaches only the members not yet gone; one that began before is
    /// delivered to everyone first. Idempotent. By default nothing: a hub whose state lives
    /// elsewhere (<see cref="RemoteChatHub"/>) is closed there, before its members are told.
    /// </summary>
    void BeginShutdown()
    {
    }
}
