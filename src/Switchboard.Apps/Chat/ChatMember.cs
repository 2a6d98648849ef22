using Switchboard.Protocols;

namespace Switchboard.Apps.Chat;

/// <summary>
/// One person in the chat, as the <see cref="IChatHub"/> sees them: a name and the rooms they are
/// in (kept by the hub), and a way to deliver events to them. A line-protocol member is in one
/// room at a time (<see cref="Room"/>); a member of an IRC client may be in several
/// (<see cref="ManyRooms"/>). By default an event goes to a connection,
/// written in the member's front-end <see cref="Format"/>; a hub that serves members elsewhere
/// (in a forking server's workers) overrides <see cref="Deliver"/>.
/// </summary>
public class ChatMember
{
    private readonly IConnection? _connection;
    private string? _nick;

    /// <summary>Creates a member whose events go to <paramref name="connection"/>, written in <paramref name="format"/>.</summary>
    /// <param name="connection">Where their events go.</param>
    /// <param name="format">How their front-end writes events, e.g. <see cref="ChatFormat.Lines"/>.</param>
    public ChatMember(IConnection connection, ChatFormat format)
        : this(connection, format, manyRooms: false)
    {
    }

    /// <summary>Creates a member whose events go to <paramref name="connection"/>, written in <paramref name="format"/>.</summary>
    /// <param name="connection">Where their events go.</param>
    /// <param name="format">How their front-end writes events.</param>
    /// <param name="manyRooms">True if joining a room keeps the others (IRC); false if it moves them (the line protocol).</param>
    public ChatMember(IConnection connection, ChatFormat format, bool manyRooms)
    {
        ArgumentNullException.ThrowIfNull(format);
        _connection = connection;
        Format = format;
        ManyRooms = manyRooms;
    }

    /// <summary>For subclasses that deliver elsewhere.</summary>
    /// <param name="format">How their front-end writes events, e.g. <see cref="ChatFormat.Lines"/>.</param>
    protected ChatMember(ChatFormat format)
        : this(format, manyRooms: false)
    {
    }

    /// <summary>For subclasses that deliver elsewhere.</summary>
    /// <param name="format">How their front-end writes events.</param>
    /// <param name="manyRooms">True if joining a room keeps the others (IRC); false if it moves them (the line protocol).</param>
    protected ChatMember(ChatFormat format, bool manyRooms)
    {
        ArgumentNullException.ThrowIfNull(format);
        Format = format;
        ManyRooms = manyRooms;
    }

    /// <summary>How this member's front-end writes events.</summary>
    public ChatFormat Format { get; }

    /// <summary>Their name, once chosen with <c>/nick</c>. Set by the hub.</summary>
    public string? Nick
    {
        get => Volatile.Read(ref _nick);
        internal set
        {
            Volatile.Write(ref _nick, value);
            Renamed(value);
        }
    }

    /// <summary>
    /// True if this member may be in several rooms at once: a join adds a room and a part leaves
    /// one (IRC), and a first name puts them in no room. False: they are always in exactly one
    /// room once named, the lobby first, and a join moves them (the line protocol).
    /// </summary>
    public bool ManyRooms { get; }

    /// <summary>
    /// The room they are in, once they have a name: for a member of <see cref="ManyRooms"/>, the
    /// one they joined last, or null if none. Set by the hub.
    /// </summary>
    public string? Room { get; internal set; }

    /// <summary>Their away message (IRC's <c>AWAY</c>), or null if they are here. Kept by the hub, under its lock.</summary>
    internal string? AwayMessage { get; set; }

    /// <summary>Every room they are in (for a one-room member, <see cref="Room"/> alone). Kept by the hub, under its lock.</summary>
    internal HashSet<string> Rooms { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// True if the hub sends this member's own talk back to them as well (IRC's <c>echo-message</c>;
    /// the web page's, whose format asks for it); their actions go back to everyone who did them
    /// anyway (<see cref="ChatEvent"/>).
    /// </summary>
    public virtual bool EchoesOwnTalk => Format.EchoesOwnTalk;

    /// <summary>Queues one event to this member, in its <see cref="Format"/>; never blocks.</summary>
    /// <param name="chatEvent">The event; the same one may go to many members.</param>
    public virtual void Deliver(ChatEvent chatEvent)
    {
        ArgumentNullException.ThrowIfNull(chatEvent);
        _connection?.Send(chatEvent.EncodedAs(Format).Span);
    }

    /// <summary>
    /// Replays a room's recent lines to this member as history: a <see cref="ChatEventKind.History"/>
    /// header, then each line marked <see cref="ChatEvent.Replayed"/>; nothing if there are none.
    /// </summary>
    internal void DeliverHistory(string room, IReadOnlyCollection<ChatEvent> lines)
    {
        if (lines.Count == 0)
            return;
        Deliver(new ChatEvent(ChatEventKind.History) { Room = room, Count = lines.Count });
        foreach (var line in lines)
            Deliver(line.AsReplayed());
    }

    /// <summary>
    /// Closes this member's connection once the lines delivered before are sent (a no-op if it is
    /// closed already). The hub calls it last in <see cref="IChatHub.Leave"/>, so that an answer
    /// still on its way is not cut off by the close.
    /// </summary>
    public virtual void Close() => _connection?.Close();

    /// <summary>
    /// The hub gave this member a name, or took it (null): for a member served elsewhere, whose
    /// connection wants to know (the registration deadline), to pass on.
    /// </summary>
    internal virtual void Renamed(string? nick)
    {
    }
}
