namespace Switchboard.Apps.Chat;

/// <summary>
/// The kinds of <see cref="ChatEvent"/>. The first group happens in a room and reaches its members;
/// the second answers one member; the third is about the hub itself. The numbers travel between
/// processes (a forking server's parent and workers, nodes sharing a Redis backplane): never
/// renumber one, add new kinds at the end.
/// </summary>
public enum ChatEventKind
{
    /// <summary><see cref="ChatEvent.Nick"/> said <see cref="ChatEvent.Text"/> to <see cref="ChatEvent.Room"/>.</summary>
    Talk = 1,

    /// <summary><see cref="ChatEvent.Nick"/> acted (<c>/me</c>) <see cref="ChatEvent.Text"/> in <see cref="ChatEvent.Room"/>.</summary>
    Action = 2,

    /// <summary>A private message from <see cref="ChatEvent.Nick"/> (<c>/msg</c>).</summary>
    Private = 3,

    /// <summary><see cref="ChatEvent.Nick"/> joined <see cref="ChatEvent.Room"/>, which now has <see cref="ChatEvent.Count"/> members.</summary>
    Joined = 4,

    /// <summary>
    /// <see cref="ChatEvent.Nick"/> left <see cref="ChatEvent.Room"/>: for another room, or (a member
    /// of several rooms) with <see cref="ChatEvent.Text"/> as the parting message, which may be empty.
    /// </summary>
    Left = 5,

    /// <summary><see cref="ChatEvent.Nick"/> is now known as <see cref="ChatEvent.Other"/>.</summary>
    Renamed = 6,

    /// <summary><see cref="ChatEvent.Nick"/> quit (<c>/quit</c>), with <see cref="ChatEvent.Text"/> as the quit message (may be empty).</summary>
    Quit = 7,

    /// <summary><see cref="ChatEvent.Nick"/>'s connection closed.</summary>
    Dropped = 8,

    /// <summary><see cref="ChatEvent.Nick"/> was disconnected for reading too slowly.</summary>
    TooSlow = 9,

    /// <summary><see cref="ChatEvent.Nick"/> was lost with the node that served them (a backplane's presence expired).</summary>
    Lost = 10,

    /// <summary><see cref="ChatEvent.Nick"/> was on a node that shut down (told by a backplane to the other nodes).</summary>
    NodeStopped = 11,

    /// <summary><see cref="ChatEvent.Nick"/> set the topic of <see cref="ChatEvent.Room"/> to <see cref="ChatEvent.Text"/> (empty: cleared it).</summary>
    Topic = 12,

    /// <summary>You are now <see cref="ChatEvent.Nick"/>, in <see cref="ChatEvent.Room"/> (your first name).</summary>
    Registered = 20,

    /// <summary>The name <see cref="ChatEvent.Nick"/> is someone else's.</summary>
    NameTaken = 21,

    /// <summary>The name <see cref="ChatEvent.Nick"/> looks too like <see cref="ChatEvent.Other"/>'s.</summary>
    NameTooLike = 22,

    /// <summary>You are already called <see cref="ChatEvent.Nick"/>.</summary>
    AlreadyNamed = 23,

    /// <summary>That needs a name first.</summary>
    NameFirst = 24,

    /// <summary>You are already in <see cref="ChatEvent.Room"/>.</summary>
    AlreadyInRoom = 25,

    /// <summary>No one is called <see cref="ChatEvent.Other"/>.</summary>
    NoSuchNick = 26,

    /// <summary>Not sent: the server is shutting down.</summary>
    ShuttingDown = 27,

    /// <summary>The rooms (<see cref="ChatEvent.Names"/>) and their sizes (<see cref="ChatEvent.Sizes"/>).</summary>
    RoomList = 28,

    /// <summary>Who is in <see cref="ChatEvent.Room"/> (<see cref="ChatEvent.Names"/>).</summary>
    WhoList = 29,

    /// <summary>A line of the front-end's own (<see cref="IChatHub.Tell"/>): <see cref="ChatEvent.Text"/>, as it is.</summary>
    Reply = 30,

    /// <summary>Your private message <see cref="ChatEvent.Text"/> went to <see cref="ChatEvent.Other"/> (<c>/msg</c>), as the hub spells their name.</summary>
    PrivateSent = 31,

    /// <summary>
    /// The last <see cref="ChatEvent.Count"/> lines of <see cref="ChatEvent.Room"/> follow, as
    /// history (each with <see cref="ChatEvent.Replayed"/> set), before your join notice.
    /// </summary>
    History = 32,

    /// <summary>You are not in <see cref="ChatEvent.Room"/>, so cannot speak there or leave it.</summary>
    NotInRoom = 33,

    /// <summary>
    /// The topic of <see cref="ChatEvent.Room"/> is <see cref="ChatEvent.Text"/> (empty: none), set by
    /// <see cref="ChatEvent.Other"/> at <see cref="ChatEvent.Time"/>.
    /// </summary>
    TopicIs = 34,

    /// <summary>
    /// Who <see cref="ChatEvent.Other"/> is: <see cref="ChatEvent.Nick"/> as the hub spells it (empty: no
    /// one is called that), in the rooms <see cref="ChatEvent.Names"/>, away with <see cref="ChatEvent.Text"/> if not empty.
    /// </summary>
    WhoisReply = 35,

    /// <summary><see cref="ChatEvent.Nick"/>, whom you just sent a private message, is away: <see cref="ChatEvent.Text"/>.</summary>
    IsAway = 36,

    /// <summary>The hub lost its backplane and is reconnecting; talk is refused meanwhile.</summary>
    BackplaneDown = 40,

    /// <summary>The backplane is back.</summary>
    BackplaneBack = 41,

    /// <summary>Not sent: the backplane is unavailable.</summary>
    BackplaneNotSent = 42,

    /// <summary>Lines of a room were said while the backplane was away and are gone from its history: <see cref="ChatEvent.Count"/> of them.</summary>
    Missed = 43,

    /// <summary>Sent, but the backplane did not answer in time: it may or may not have reached the room.</summary>
    BackplaneUnanswered = 44,
}
