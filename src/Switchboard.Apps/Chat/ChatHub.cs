namespace Switchboard.Apps.Chat;

/// <summary>
/// The in-process <see cref="IChatHub"/>: one lock over names and rooms (the seed's warning about
/// threads and shared memory). Each event for a room is made once and the same event goes to
/// every member, which encodes it once per front-end format (<see cref="ChatEvent.EncodedAs"/>);
/// queuing only copies into each connection's buffer, so it is done under the lock, which gives
/// every member of a room the same order of lines. A leave that a fan-out
/// itself causes (a member found too slow) waits until that fan-out is done, for the same reason.
/// </summary>
public sealed class ChatHub : IChatHub, IChatCensus
{
    /// <summary>The room everyone starts in.</summary>
    public const string Lobby = "lobby";

    private static readonly ChatEvent NameFirst = new(ChatEventKind.NameFirst);
    private static readonly ChatEvent ShuttingDown = new(ChatEventKind.ShuttingDown);

    private readonly Lock _lock = new();
    // Keyed by ChatText.Skeleton: no two members have names that look alike (aIice beside alice).
    private readonly Dictionary<string, ChatMember> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ChatRoom> _rooms = new(StringComparer.OrdinalIgnoreCase);
    private readonly Queue<(ChatMember Member, Farewell How, string Message)> _deferredLeaves = new();
    private int _historySize;
    private readonly TimeProvider _clock;
    private bool _closing;

    /// <summary>Creates an empty hub.</summary>
    /// <param name="historySize">Lines each room keeps and replays to newcomers.</param>
    /// <param name="clock">The time events are stamped with; the system clock by default.</param>
    public ChatHub(int historySize = 20, TimeProvider? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(historySize);
        _historySize = historySize;
        _clock = clock ?? TimeProvider.System;
        // The lobby always exists, so /rooms lists it even before anyone has a name.
        _rooms.Add(Lobby, new ChatRoom(Lobby, historySize));
        ChatMetrics.Track(this);
    }

    /// <summary>Lines each room keeps and replays (a reload may change it): a smaller number forgets the oldest lines at once.</summary>
    internal int HistorySize
    {
        get
        {
            lock (_lock)
                return _historySize;
        }

        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            lock (_lock)
            {
                _historySize = value;
                foreach (var room in _rooms.Values)
                    room.HistorySize = value;
            }
        }
    }

    /// <summary>Members with a name, now (for metrics).</summary>
    public int MemberCount
    {
        get
        {
            lock (_lock)
                return _members.Count;
        }
    }

    /// <summary>Rooms that exist, now (for metrics).</summary>
    public int RoomCount
    {
        get
        {
            lock (_lock)
                return _rooms.Count;
        }
    }

    /// <inheritdoc />
    public void Nick(ChatMember member, string nick)
    {
        ArgumentNullException.ThrowIfNull(member);
        using (Enter())
        {
            // A look-alike of your own name is yours to take (alice may become aIice).
            string skeleton = ChatText.Skeleton(nick);
            if (_members.TryGetValue(skeleton, out var holder) && !ReferenceEquals(holder, member))
            {
                member.Deliver(string.Equals(holder.Nick, nick, StringComparison.OrdinalIgnoreCase)
                    ? new ChatEvent(ChatEventKind.NameTaken) { Nick = nick }
                    : new ChatEvent(ChatEventKind.NameTooLike) { Nick = nick, Other = holder.Nick! });
                return;
            }

            string? old = member.Nick;
            if (string.Equals(old, nick, StringComparison.Ordinal))
            {
                member.Deliver(new ChatEvent(ChatEventKind.AlreadyNamed) { Nick = nick });
                return;
            }

            if (old is not null)
                _members.Remove(ChatText.Skeleton(old));
            _members[skeleton] = member;
            member.Nick = nick;
            if (old is null)
            {
                // A member of many rooms (IRC) starts in none, and joins what they choose.
                if (!member.ManyRooms)
                    JoinLocked(member, Lobby);
                member.Deliver(new ChatEvent(ChatEventKind.Registered) { Nick = nick, Room = member.Room ?? "", Time = Now });
            }
            else
            {
                // Everyone who shares a room with them hears it once, and so do they, in no room or many.
                var renamed = new ChatEvent(ChatEventKind.Renamed) { Nick = old, Other = nick, Room = member.Room ?? "", Time = Now };
                foreach (var hearer in HearersOf(member))
                    hearer.Deliver(renamed);
            }
        }
    }

    /// <inheritdoc />
    public void Join(ChatMember member, string room)
    {
        ArgumentNullException.ThrowIfNull(member);
        using (Enter())
        {
            if (member.Nick is null)
                member.Deliver(NameFirst);
            else if (member.Rooms.TryGetValue(room, out string? already))
                member.Deliver(new ChatEvent(ChatEventKind.AlreadyInRoom) { Room = already });
            else
            {
                if (!member.ManyRooms && member.Room is { } old)
                    LeaveRoomLocked(member, old, ChatEventKind.Left, "");
                JoinLocked(member, room);
            }
        }
    }

    /// <inheritdoc />
    public void Part(ChatMember member, string room, string message = "")
    {
        ArgumentNullException.ThrowIfNull(member);
        using (Enter())
        {
            if (member.Nick is null)
                member.Deliver(NameFirst);
            else if (!member.ManyRooms || !member.Rooms.TryGetValue(room, out string? name))
                member.Deliver(new ChatEvent(ChatEventKind.NotInRoom) { Room = room });
            else
                LeaveRoomLocked(member, name, ChatEventKind.Left, message);
        }
    }

    /// <inheritdoc />
    public void PartAll(ChatMember member)
    {
        ArgumentNullException.ThrowIfNull(member);
        using (Enter())
        {
            if (member.Nick is null)
                member.Deliver(NameFirst);
            else if (member.ManyRooms)
            {
                foreach (string room in member.Rooms.Order(StringComparer.OrdinalIgnoreCase).ToList())
                    LeaveRoomLocked(member, room, ChatEventKind.Left, "");
            }
        }
    }

    /// <inheritdoc />
    public void Say(ChatMember member, string text, string? room = null, bool notice = false) => ToRoom(member, ChatEventKind.Talk, text, room, notice);

    /// <inheritdoc />
    public void Act(ChatMember member, string text, string? room = null) => ToRoom(member, ChatEventKind.Action, text, room, notice: false);

    /// <inheritdoc />
    public void Whisper(ChatMember member, string nick, string text, bool notice = false)
    {
        ArgumentNullException.ThrowIfNull(member);
        using (Enter())
        {
            if (member.Nick is null)
                Refuse(member, NameFirst, notice);
            else if (_closing)
                Refuse(member, ShuttingDown, notice);
            else if (!_members.TryGetValue(ChatText.Skeleton(nick), out var target) || !string.Equals(target.Nick, nick, StringComparison.OrdinalIgnoreCase))
                Refuse(member, new ChatEvent(ChatEventKind.NoSuchNick) { Other = nick }, notice);
            else
            {
                target.Deliver(new ChatEvent(ChatEventKind.Private) { Nick = member.Nick, Text = text, Time = Now, Notice = notice });
                ChatMetrics.OnWhispered();
                member.Deliver(new ChatEvent(ChatEventKind.PrivateSent) { Other = target.Nick!, Text = text, Time = Now, Notice = notice });
                if (target.AwayMessage is { } away && !notice)
                    member.Deliver(new ChatEvent(ChatEventKind.IsAway) { Nick = target.Nick!, Text = away });
            }
        }
    }

    /// <inheritdoc />
    public void Topic(ChatMember member, string room, string? text = null)
    {
        ArgumentNullException.ThrowIfNull(member);
        using (Enter())
        {
            _rooms.TryGetValue(room, out var found);
            if (text is null)
            {
                var (topic, setBy, at) = found?.Topic ?? ("", "", default);
                member.Deliver(new ChatEvent(ChatEventKind.TopicIs) { Room = found?.Name ?? room, Text = topic, Other = setBy, Time = at });
            }
            else if (member.Nick is null)
                member.Deliver(NameFirst);
            else if (found is null || !member.Rooms.Contains(found.Name))
                member.Deliver(new ChatEvent(ChatEventKind.NotInRoom) { Room = found?.Name ?? room });
            else if (_closing)
                member.Deliver(ShuttingDown);
            else
            {
                found.Topic = (text, member.Nick, Now);
                Fanout(found, new ChatEvent(ChatEventKind.Topic) { Nick = member.Nick, Room = found.Name, Text = text, Time = found.Topic.At }, except: null);
            }
        }
    }

    /// <inheritdoc />
    public void Whois(ChatMember member, string nick)
    {
        ArgumentNullException.ThrowIfNull(member);
        using (Enter())
        {
            if (member.Nick is null)
                member.Deliver(NameFirst);
            else if (!_members.TryGetValue(ChatText.Skeleton(nick), out var target) || !string.Equals(target.Nick, nick, StringComparison.OrdinalIgnoreCase))
                member.Deliver(new ChatEvent(ChatEventKind.WhoisReply) { Other = nick });
            else
            {
                member.Deliver(new ChatEvent(ChatEventKind.WhoisReply)
                {
                    Nick = target.Nick!,
                    Other = nick,
                    Names = [.. target.Rooms.Order(StringComparer.OrdinalIgnoreCase)],
                    Text = target.AwayMessage ?? "",
                });
            }
        }
    }

    /// <inheritdoc />
    public void Away(ChatMember member, string message)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(message);
        using (Enter())
        {
            if (member.Nick is null)
                member.Deliver(NameFirst);
            else
                member.AwayMessage = message.Length > 0 ? message : null;
        }
    }

    /// <inheritdoc />
    public void ListRooms(ChatMember member)
    {
        ArgumentNullException.ThrowIfNull(member);
        using (Enter())
        {
            var rooms = _rooms.Values.OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase).ToList();
            member.Deliver(new ChatEvent(ChatEventKind.RoomList) { Names = [.. rooms.Select(r => r.Name)], Sizes = [.. rooms.Select(r => r.Members.Length)] });
        }
    }

    /// <inheritdoc />
    public void ListWho(ChatMember member, string? room = null)
    {
        ArgumentNullException.ThrowIfNull(member);
        using (Enter())
        {
            // Your own room needs a name first; a room asked for by name is answered anyway (a front-end
            // that pairs answers with its requests, as IRC's does, gets one answer per request).
            if (member.Nick is null && room is null)
            {
                member.Deliver(NameFirst);
                return;
            }

            // A room no one is in has no one in it: an empty list, under the name as asked.
            string? asked = room ?? member.Room;
            if (asked is null || !_rooms.TryGetValue(asked, out var listed))
            {
                member.Deliver(new ChatEvent(ChatEventKind.WhoList) { Room = asked ?? "" });
                return;
            }

            var names = listed.Members.Select(m => m.Nick!).Order(StringComparer.OrdinalIgnoreCase);
            member.Deliver(new ChatEvent(ChatEventKind.WhoList) { Room = listed.Name, Names = [.. names] });
        }
    }

    /// <inheritdoc />
    public void Tell(ChatMember member, string line)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(line);

        // Everything here answers synchronously, so a line told now is already after the earlier answers.
        member.Deliver(new ChatEvent(ChatEventKind.Reply) { Text = line });
    }

    /// <inheritdoc />
    public void Leave(ChatMember member, Farewell how, string message = "")
    {
        ArgumentNullException.ThrowIfNull(member);

        // A Send during a fan-out can find a member too slow; the engine then runs that member's
        // OnDisconnected, and so this, on the sending thread, inside our lock. Leaving at once
        // would tell the rest of the room the farewell before the line being fanned out.
        if (_lock.IsHeldByCurrentThread)
        {
            _deferredLeaves.Enqueue((member, how, message));
            return;
        }

        using (Enter())
            LeaveLocked(member, how, message);
    }

    /// <inheritdoc />
    /// <remarks>Taking the lock waits for a fan-out under way, so it reaches every member before any goodbye.</remarks>
    public void BeginShutdown()
    {
        using (Enter())
            _closing = true;
    }

    private void LeaveLocked(ChatMember member, Farewell how, string message)
    {
        if (member.Nick is { } nick)
        {
            // Everyone who shared a room with them is told once, however many rooms they shared.
            var hearers = HearersOf(member);
            hearers.Remove(member);
            string lastRoom = member.Room ?? "";
            foreach (string room in member.Rooms.ToList())
                LeaveRoomLocked(member, room, farewell: null, "");
            if (how.EventKind() is { } kind)
            {
                var farewell = new ChatEvent(kind) { Nick = nick, Room = lastRoom, Text = message, Time = Now };
                foreach (var hearer in hearers)
                    hearer.Deliver(farewell);
            }

            string skeleton = ChatText.Skeleton(nick);
            if (_members.TryGetValue(skeleton, out var holder) && ReferenceEquals(holder, member))
                _members.Remove(skeleton);
            member.Nick = null;
        }

        member.Close();
    }

    /// <summary>Enters the lock; leaving the scope first runs the leaves deferred meanwhile, then exits.</summary>
    private Scope Enter() => new(this);

    private DateTimeOffset Now => _clock.GetUtcNow();

    private void ToRoom(ChatMember member, ChatEventKind kind, string text, string? roomName, bool notice)
    {
        ArgumentNullException.ThrowIfNull(member);
        using (Enter())
        {
            if (member.Nick is null || (roomName is null && member.Room is null))
            {
                Refuse(member, member.Nick is null ? NameFirst : new ChatEvent(ChatEventKind.NotInRoom) { Room = "" }, notice);
                return;
            }

            if (_closing)
            {
                Refuse(member, ShuttingDown, notice);
                return;
            }

            string name = roomName ?? member.Room!;
            if (!member.Rooms.Contains(name) || !_rooms.TryGetValue(name, out var room))
            {
                Refuse(member, new ChatEvent(ChatEventKind.NotInRoom) { Room = name }, notice);
                return;
            }

            var line = new ChatEvent(kind) { Nick = member.Nick, Room = room.Name, Text = text, Time = Now, Notice = notice };
            room.Remember(line);
            ChatMetrics.OnSaid(kind);
            Fanout(room, line, except: line.EchoedToSpeaker || member.EchoesOwnTalk ? null : member);
        }
    }

    private void JoinLocked(ChatMember member, string roomName)
    {
        if (!_rooms.TryGetValue(roomName, out var room))
        {
            room = new ChatRoom(roomName, _historySize);
            _rooms.Add(roomName, room);
        }

        member.DeliverHistory(room.Name, room.History);
        room.Add(member);
        member.Rooms.Add(room.Name);
        member.Room = room.Name;
        Fanout(room, new ChatEvent(ChatEventKind.Joined) { Nick = member.Nick!, Room = room.Name, Count = room.Members.Length, Time = Now }, except: null);
    }

    /// <summary>Takes the member out of <paramref name="roomName"/> and tells the rest <paramref name="farewell"/> (nothing if null).</summary>
    private void LeaveRoomLocked(ChatMember member, string roomName, ChatEventKind? farewell, string message)
    {
        member.Rooms.Remove(roomName);
        if (string.Equals(member.Room, roomName, StringComparison.OrdinalIgnoreCase))
            member.Room = member.Rooms.LastOrDefault();
        if (!_rooms.TryGetValue(roomName, out var room))
            return;
        room.Remove(member);
        if (farewell is { } kind)
        {
            var left = new ChatEvent(kind) { Nick = member.Nick!, Room = room.Name, Text = message, Time = Now };
            Fanout(room, left, except: null);
            // One who parts hears it too (IRC's confirmation), as a mover hears their join.
            if (member.ManyRooms)
                member.Deliver(left);
        }

        if (room.Members.Length == 0 && !string.Equals(room.Name, Lobby, StringComparison.OrdinalIgnoreCase))
            _rooms.Remove(room.Name);
    }

    /// <summary>Tells the member why what they sent went nowhere, unless it was a NOTICE, which nothing answers.</summary>
    private static void Refuse(ChatMember member, ChatEvent why, bool notice)
    {
        if (!notice)
            member.Deliver(why);
    }

    /// <summary>The member and everyone who shares a room with them, each once.</summary>
    private HashSet<ChatMember> HearersOf(ChatMember member)
    {
        var hearers = new HashSet<ChatMember>(ReferenceEqualityComparer.Instance) { member };
        foreach (string room in member.Rooms)
            hearers.UnionWith(_rooms[room].Members);
        return hearers;
    }

    private static void Fanout(ChatRoom room, ChatEvent line, ChatMember? except)
    {
        int delivered = 0;
        foreach (var member in room.Members)
        {
            if (!ReferenceEquals(member, except))
            {
                member.Deliver(line);
                delivered++;
            }
        }

        ChatMetrics.OnDelivered(delivered);
    }

    /// <summary>The hub's lock, held for one call; on exit runs the leaves that call deferred (and those they defer).</summary>
    private ref struct Scope
    {
        private readonly ChatHub _hub;
        private Lock.Scope _lock;

        public Scope(ChatHub hub)
        {
            _hub = hub;
            _lock = hub._lock.EnterScope();
        }

        public void Dispose()
        {
            try
            {
                while (_hub._deferredLeaves.TryDequeue(out var leave))
                    _hub.LeaveLocked(leave.Member, leave.How, leave.Message);
            }
            finally
            {
                _lock.Dispose();
            }
        }
    }
}
