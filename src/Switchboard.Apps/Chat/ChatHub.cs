using System.Text;

namespace Switchboard.Apps.Chat;

/// <summary>
/// The in-process <see cref="IChatHub"/>: one lock over names and rooms (the seed's warning about
/// threads and shared memory). Each line is encoded once and the same bytes are queued to every
/// member; sending only copies into each connection's buffer, so it is done under the lock,
/// which keeps every member's view of a room in one order.
/// </summary>
public sealed class ChatHub : IChatHub
{
    /// <summary>The room everyone starts in.</summary>
    public const string Lobby = "lobby";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, ChatMember> _members = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, ChatRoom> _rooms = new(StringComparer.OrdinalIgnoreCase);
    private readonly int _historySize;

    /// <summary>Creates an empty hub.</summary>
    /// <param name="historySize">Lines each room keeps and replays to newcomers.</param>
    public ChatHub(int historySize = 20)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(historySize);
        _historySize = historySize;
    }

    /// <inheritdoc />
    public string? SetNick(ChatMember member, string nick)
    {
        ArgumentNullException.ThrowIfNull(member);
        lock (_lock)
        {
            if (_members.TryGetValue(nick, out var holder) && !ReferenceEquals(holder, member))
                return $"! the name {nick} is taken";
            string? old = member.Nick;
            if (old is not null)
                _members.Remove(old);
            _members[nick] = member;
            member.Nick = nick;
            if (old is null)
                return JoinLocked(member, Lobby);
            var room = _rooms[member.Room!];
            Fanout(room, Encode($"* {old} is now known as {nick}"), except: null);
            return null;
        }
    }

    /// <inheritdoc />
    public string? Join(ChatMember member, string room)
    {
        ArgumentNullException.ThrowIfNull(member);
        lock (_lock)
        {
            if (string.Equals(member.Room, room, StringComparison.OrdinalIgnoreCase))
                return $"! you are already in #{member.Room}";
            LeaveRoomLocked(member, $"* {member.Nick} left #{member.Room}");
            return JoinLocked(member, room);
        }
    }

    /// <inheritdoc />
    public void Broadcast(ChatMember member, string line)
    {
        ArgumentNullException.ThrowIfNull(member);
        byte[] bytes = Encode(line);
        lock (_lock)
        {
            if (member.Room is null || !_rooms.TryGetValue(member.Room, out var room))
                return;
            room.Remember(bytes);
            Fanout(room, bytes, except: member);
        }
    }

    /// <inheritdoc />
    public string? SendTo(string nick, string line)
    {
        byte[] bytes = Encode(line);
        lock (_lock)
        {
            if (!_members.TryGetValue(nick, out var target))
                return $"! no one is called {nick}";
            target.Deliver(bytes);
            return null;
        }
    }

    /// <inheritdoc />
    public void Leave(ChatMember member, string? farewell)
    {
        ArgumentNullException.ThrowIfNull(member);
        lock (_lock)
        {
            LeaveRoomLocked(member, farewell);
            if (member.Nick is not null && _members.TryGetValue(member.Nick, out var holder) && ReferenceEquals(holder, member))
                _members.Remove(member.Nick);
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<(string Room, int Members)> Rooms()
    {
        lock (_lock)
            return [.. _rooms.Values.Select(r => (r.Name, r.Members.Length)).OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase)];
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Who(string room)
    {
        lock (_lock)
        {
            return _rooms.TryGetValue(room, out var r)
                ? [.. r.Members.Select(m => m.Nick!).Order(StringComparer.OrdinalIgnoreCase)]
                : [];
        }
    }

    private string? JoinLocked(ChatMember member, string roomName)
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
        Fanout(room, Encode($"* {member.Nick} joined #{room.Name} ({room.Members.Length} here)"), except: null);
        return null;
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
}
