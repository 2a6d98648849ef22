using System.Text;

namespace Switchboard.Apps.Chat;

/// <summary>
/// The in-process <see cref="IChatHub"/>: one lock over names and rooms (the seed's warning about
/// threads and shared memory). Each line for a room is encoded once and the same bytes are queued
/// to every member; queuing only copies into each connection's buffer, so it is done under the
/// lock, which gives every member of a room the same order of lines. A leave that a fan-out
/// itself causes (a member found too slow) waits until that fan-out is done, for the same reason.
/// </summary>
public sealed class ChatHub : IChatHub
{
    /// <summary>The room everyone starts in.</summary>
    public const string Lobby = "lobby";

    private const string NameFirst = "! choose a name first: /nick NAME";
    private const string ShuttingDown = "! not sent: the server is shutting down";

    private readonly Lock _lock = new();
    // Keyed by ChatText.Skeleton: no two members have names that look alike (aIice beside alice).
    private readonly Dictionary<string, ChatMember> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ChatRoom> _rooms = new(StringComparer.OrdinalIgnoreCase);
    private readonly Queue<(ChatMember Member, Farewell How, string Message)> _deferredLeaves = new();
    private readonly int _historySize;
    private bool _closing;

    /// <summary>Creates an empty hub.</summary>
    /// <param name="historySize">Lines each room keeps and replays to newcomers.</param>
    public ChatHub(int historySize = 20)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(historySize);
        _historySize = historySize;
        // The lobby always exists, so /rooms lists it even before anyone has a name.
        _rooms.Add(Lobby, new ChatRoom(Lobby, historySize));
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
                Tell(member, string.Equals(holder.Nick, nick, StringComparison.OrdinalIgnoreCase)
                    ? $"! the name {nick} is taken"
                    : $"! the name {nick} is too like {holder.Nick}; choose another");
                return;
            }

            string? old = member.Nick;
            if (string.Equals(old, nick, StringComparison.Ordinal))
            {
                Tell(member, $"! you are already {nick}");
                return;
            }

            if (old is not null)
                _members.Remove(ChatText.Skeleton(old));
            _members[skeleton] = member;
            member.Nick = nick;
            if (old is null)
            {
                JoinLocked(member, Lobby);
                Tell(member, ChatLine.Notice($"you are {nick}, in #{member.Room}"));
            }
            else
            {
                Fanout(_rooms[member.Room!], Encode(ChatLine.Notice($"{old} is now known as {nick}")), except: null);
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
                Tell(member, NameFirst);
            else if (string.Equals(member.Room, room, StringComparison.OrdinalIgnoreCase))
                Tell(member, $"! you are already in #{member.Room}");
            else
            {
                LeaveRoomLocked(member, ChatLine.Notice($"{member.Nick} left #{member.Room}"));
                JoinLocked(member, room);
            }
        }
    }

    /// <inheritdoc />
    public void Say(ChatMember member, string text) => ToRoom(member, nick => ChatLine.Talk(nick, text));

    /// <inheritdoc />
    public void Act(ChatMember member, string text) => ToRoom(member, nick => ChatLine.Action(nick, text));

    /// <inheritdoc />
    public void Whisper(ChatMember member, string nick, string text)
    {
        ArgumentNullException.ThrowIfNull(member);
        using (Enter())
        {
            if (member.Nick is null)
                Tell(member, NameFirst);
            else if (_closing)
                Tell(member, ShuttingDown);
            else if (!_members.TryGetValue(ChatText.Skeleton(nick), out var target) || !string.Equals(target.Nick, nick, StringComparison.OrdinalIgnoreCase))
                Tell(member, $"! no one is called {nick}");
            else
                Tell(target, ChatLine.Private(member.Nick, text));
        }
    }

    /// <inheritdoc />
    public void ListRooms(ChatMember member)
    {
        ArgumentNullException.ThrowIfNull(member);
        using (Enter())
        {
            var rooms = _rooms.Values.OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase).Select(r => $"#{r.Name} ({r.Members.Length})");
            Tell(member, ChatLine.Notice("rooms: " + string.Join(", ", rooms)));
        }
    }

    /// <inheritdoc />
    public void ListWho(ChatMember member)
    {
        ArgumentNullException.ThrowIfNull(member);
        using (Enter())
        {
            if (member.Nick is null)
            {
                Tell(member, NameFirst);
                return;
            }

            var names = _rooms[member.Room!].Members.Select(m => m.Nick!).Order(StringComparer.OrdinalIgnoreCase);
            Tell(member, ChatLine.Notice($"in #{member.Room}: " + string.Join(", ", names)));
        }
    }

    /// <inheritdoc />
    public void Tell(ChatMember member, string line)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(line);

        // Everything here answers synchronously, so a line told now is already after the earlier answers.
        member.Deliver(Encode(line));
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
            LeaveRoomLocked(member, how switch
            {
                // The quit message is the one piece of user text in a notice: it comes last,
                // after "quit: ", so it cannot pass for the server's "quit (connection closed)".
                Farewell.Quit => ChatLine.Notice(message.Length > 0 ? $"{nick} quit: {message}" : $"{nick} quit"),
                Farewell.TooSlow => ChatLine.Notice($"{nick} left (too slow)"),
                Farewell.Dropped => ChatLine.Notice($"{nick} quit (connection closed)"),
                _ => null,
            });
            string skeleton = ChatText.Skeleton(nick);
            if (_members.TryGetValue(skeleton, out var holder) && ReferenceEquals(holder, member))
                _members.Remove(skeleton);
            member.Nick = null;
        }

        member.Close();
    }

    /// <summary>Enters the lock; leaving the scope first runs the leaves deferred meanwhile, then exits.</summary>
    private Scope Enter() => new(this);

    private void ToRoom(ChatMember member, Func<string, string> format)
    {
        ArgumentNullException.ThrowIfNull(member);
        using (Enter())
        {
            if (member.Nick is null || member.Room is null)
            {
                Tell(member, NameFirst);
                return;
            }

            if (_closing)
            {
                Tell(member, ShuttingDown);
                return;
            }

            var room = _rooms[member.Room];
            byte[] line = Encode(format(member.Nick));
            room.Remember(line);
            Fanout(room, line, except: member);
        }
    }

    private void JoinLocked(ChatMember member, string roomName)
    {
        if (!_rooms.TryGetValue(roomName, out var room))
        {
            room = new ChatRoom(roomName, _historySize);
            _rooms.Add(roomName, room);
        }

        foreach (byte[] line in room.History)
            member.Deliver(line);
        room.Add(member);
        member.Room = room.Name;
        Fanout(room, Encode(ChatLine.Notice($"{member.Nick} joined #{room.Name} ({room.Members.Length} here)")), except: null);
    }

    private void LeaveRoomLocked(ChatMember member, string? farewell)
    {
        if (member.Room is null || !_rooms.TryGetValue(member.Room, out var room))
            return;
        room.Remove(member);
        member.Room = null;
        if (farewell is not null)
            Fanout(room, Encode(farewell), except: null);
        if (room.Members.Length == 0 && !string.Equals(room.Name, Lobby, StringComparison.OrdinalIgnoreCase))
            _rooms.Remove(room.Name);
    }

    private static void Fanout(ChatRoom room, byte[] line, ChatMember? except)
    {
        foreach (var member in room.Members)
        {
            if (!ReferenceEquals(member, except))
                member.Deliver(line);
        }
    }

    private static byte[] Encode(string line) => Encoding.UTF8.GetBytes(line + "\n");

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
