using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Switchboard.Apps.Chat.Redis;

/// <summary>
/// An <see cref="IChatHub"/> shared by every node (process) pointed at one Redis: names, rooms,
/// <c>/who</c>, <c>/rooms</c>, <c>/msg</c> and history live in Redis, changed only by the Lua
/// scripts of <see cref="RedisScripts"/>, and every node hears every room event once on one
/// channel and fans it out to its own members. Each member's calls run one after another, so a
/// member reads the answers in the order of its lines. The order of a room is the order of its
/// <c>seq</c>; a node that missed events (its subscription or Redis went away) fetches them from
/// the room's log (its last 1,000 events) by seq before going on, so no member misses or repeats one.
/// docs/scale-out.md says what is guaranteed and what is not.
/// </summary>
internal sealed partial class RedisChatHub : IChatHub, IChatCensus, IAsyncDisposable
{
    private static readonly ChatEvent NameFirst = new(ChatEventKind.NameFirst);
    private static readonly ChatEvent ShuttingDown = new(ChatEventKind.ShuttingDown);
    private static readonly ChatEvent NotSent = new(ChatEventKind.BackplaneNotSent);
    private static readonly ChatEvent Unanswered = new(ChatEventKind.BackplaneUnanswered);

    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _db;
    private readonly RedisHubAddress _address;
    private readonly RedisHubTiming _timing;
    private volatile int _history;
    private readonly string _node;
    private readonly ILogger _log;
    private readonly Lock _lock = new();
    private readonly Dictionary<ChatMember, MemberState> _states = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, MemberState> _named = new(StringComparer.Ordinal); // by skeleton
    private readonly Dictionary<string, LocalRoom> _rooms = new(StringComparer.Ordinal); // by room key
    private readonly List<PendingRelease> _unreleased = []; // names to free once Redis answers
    private readonly SemaphoreSlim _feed = new(1, 1); // events and resyncs, one at a time
    private readonly CancellationTokenSource _stopping = new();
    private ChannelMessageQueue? _subscription;
    private Task _heartbeat = Task.CompletedTask;
    private long _lastMemberId;
    private string? _epoch;
    private bool _down;
    private bool _resyncPending;
    private bool _resyncQueued;
    private bool _closing;
    private int _disposed;

    private RedisChatHub(ConnectionMultiplexer redis, RedisHubAddress address, int history, RedisHubTiming timing, ILogger log)
    {
        _redis = redis;
        _db = redis.GetDatabase(address.Database);
        _address = address;
        _timing = timing;
        _history = history;
        _node = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
        _log = log;
        ChatMetrics.Track(this);
    }

    /// <summary>This node's members with a name (for metrics).</summary>
    public int MemberCount
    {
        get
        {
            lock (_lock)
                return _named.Count;
        }
    }

    /// <summary>The rooms this node's members are in (for metrics).</summary>
    public int RoomCount
    {
        get
        {
            lock (_lock)
                return _rooms.Values.Count(room => room.Members.Length > 0);
        }
    }

    /// <summary>
    /// Connects to Redis at <paramref name="url"/> (<c>redis://HOST:PORT[/DB]</c>), registers this
    /// node and starts hearing the rooms. Blocks until connected or failed.
    /// </summary>
    /// <param name="url">Where Redis is.</param>
    /// <param name="history">Lines a room replays to a newcomer.</param>
    /// <param name="loggerFactory">Where the hub logs what happens to the backplane.</param>
    /// <param name="timing">The heartbeat and the dead-node bound; <see cref="RedisHubTiming.Default"/> if null.</param>
    /// <param name="patience">How long to keep trying to connect; none by default (one try).</param>
    /// <returns>The hub, connected.</returns>
    /// <exception cref="ArgumentException"><paramref name="url"/> is not of the form <c>redis://HOST:PORT[/DB]</c>.</exception>
    /// <exception cref="ChatBackplaneException">Redis cannot be reached.</exception>
    public static RedisChatHub Connect(string url, int history, ILoggerFactory? loggerFactory = null, RedisHubTiming? timing = null, TimeSpan patience = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(history);
        var address = RedisHubAddress.Parse(url);
        var log = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Switchboard.Chat.Redis");
        var redis = ConnectPatiently(address, patience, log);

        var hub = new RedisChatHub(redis, address, history, timing ?? RedisHubTiming.Default, log);
        try
        {
            hub.Start();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            redis.Dispose();
            throw new ChatBackplaneException($"cannot use redis at {address}: {FirstLine(e.Message)}", e);
        }

        return hub;
    }

    /// <summary>
    /// Connects, trying again (each try bounded by the connect timeout) until <paramref name="patience"/>
    /// has passed: none for a server starting, which says at once that Redis is not there; some for
    /// a forking worker, whose parent has just reached Redis, so that a moment's overload (a
    /// hundred workers connecting at once on a busy machine) is waited out rather than taken for
    /// an outage.
    /// </summary>
    /// <exception cref="ChatBackplaneException">No try succeeded.</exception>
    private static ConnectionMultiplexer ConnectPatiently(RedisHubAddress address, TimeSpan patience, ILogger log)
    {
        var deadline = DateTime.UtcNow + patience;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return ConnectionMultiplexer.Connect(address.ToConfiguration());
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                if (DateTime.UtcNow >= deadline)
                    throw new ChatBackplaneException($"cannot reach redis at {address} (is redis-server running and listening there?)", e);
                Log.ConnectRetry(log, address.ToString(), attempt);
                Thread.Sleep(TimeSpan.FromMilliseconds(Math.Min(1000, 100 * attempt)));
            }
        }
    }

    /// <summary>Lines each room's stream keeps (a reload may change it): applied by the next line said there, which trims the stream.</summary>
    public int HistorySize
    {
        get => _history;
        set => _history = value;
    }

    /// <inheritdoc />
    public void Nick(ChatMember member, string nick) => Run(member, async state =>
    {
        string? old = member.Nick;
        if (string.Equals(old, nick, StringComparison.Ordinal))
        {
            member.Deliver(new ChatEvent(ChatEventKind.AlreadyNamed) { Nick = nick });
            return;
        }

        string skeleton = ChatText.Skeleton(nick);
        if (old is null)
            BeginJoin(state, ChatHub.Lobby);
        RedisResult[] reply;
        try
        {
            reply = (RedisResult[])(await Script(RedisScripts.Nick,
                _node, state.Owner, skeleton, nick, state.Skeleton ?? "", old ?? "", state.RoomKey ?? "", old is null ? _history : 0).ConfigureAwait(false))!;
        }
        catch (Exception e) when (IsBackplaneFault(e))
        {
            // Redis may have done it all the same: the name is released (if it is this member's),
            // or the old one claimed again, at the next resync.
            if (old is null)
                AbandonJoin(state);
            Unsure(new PendingRelease(skeleton, nick, old is null ? ChatHub.Lobby : state.RoomKey ?? "", old is null ? ChatEventKind.Dropped : 0, "", state.Owner));
            throw;
        }

        switch ((string?)reply[0])
        {
            case "taken":
                if (old is null)
                    AbandonJoin(state);
                string holder = (string)reply[1]!;
                member.Deliver(string.Equals(holder, nick, StringComparison.OrdinalIgnoreCase)
                    ? new ChatEvent(ChatEventKind.NameTaken) { Nick = nick }
                    : new ChatEvent(ChatEventKind.NameTooLike) { Nick = nick, Other = holder });
                break;
            case "joined":
                lock (_lock)
                {
                    state.Skeleton = skeleton;
                    _named[skeleton] = state;
                    member.Nick = nick;
                    CompleteJoinLocked(state, reply);
                }

                member.Deliver(new ChatEvent(ChatEventKind.Registered) { Nick = nick, Room = member.Room! });
                break;
            default:
                lock (_lock)
                {
                    ForgetNameLocked(state);
                    state.Skeleton = skeleton;
                    _named[skeleton] = state;
                    member.Nick = nick;
                }

                member.Deliver(ChatEventCodec.Decode((string)reply[1]!));
                break;
        }
    });

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">The member is of <see cref="ChatMember.ManyRooms"/>: not yet served across nodes.</exception>
    public void Join(ChatMember member, string room) => Run(RequireOneRoom(member), async state =>
    {
        if (member.Nick is null)
        {
            member.Deliver(NameFirst);
            return;
        }

        if (string.Equals(member.Room, room, StringComparison.OrdinalIgnoreCase))
        {
            member.Deliver(new ChatEvent(ChatEventKind.AlreadyInRoom) { Room = member.Room! });
            return;
        }

        string oldKey = state.RoomKey!;
        string key = RoomKey(room);
        BeginJoin(state, key);
        RedisResult[] reply;
        try
        {
            reply = (RedisResult[])(await Script(RedisScripts.Join, _node, state.Skeleton!, member.Nick, oldKey, key, room, _history, state.Owner).ConfigureAwait(false))!;
        }
        catch (Exception e) when (IsBackplaneFault(e))
        {
            // They stay where they were here, from now on; if Redis moved them all the same, the
            // next resync moves them back (Register puts each member where this node has them).
            lock (_lock)
            {
                BeginJoinLocked(state, oldKey);
                state.JoinSeq = _rooms[oldKey].LastSeq + 1;
                state.Buffer = null;
            }

            Unsure(null);
            throw;
        }

        lock (_lock)
            CompleteJoinLocked(state, reply);
    });

    /// <inheritdoc />
    /// <remarks>Its members are one-room members, who cannot part (they move with <see cref="Join"/>).</remarks>
    public void Part(ChatMember member, string room, string message = "") => Run(member, _ =>
    {
        member.Deliver(member.Nick is null ? NameFirst : new ChatEvent(ChatEventKind.NotInRoom) { Room = room });
        return Task.CompletedTask;
    });

    /// <inheritdoc />
    /// <remarks>Its members are one-room members, who are always in a room: nothing to do.</remarks>
    public void PartAll(ChatMember member) => Run(member, _ =>
    {
        if (member.Nick is null)
            member.Deliver(NameFirst);
        return Task.CompletedTask;
    });

    /// <inheritdoc />
    /// <remarks>A notice reads as talk across nodes (the rooms' logs do not keep the flag); it is never answered, as everywhere.</remarks>
    public void Say(ChatMember member, string text, string? room = null, bool notice = false) => ToRoom(member, ChatEventKind.Talk, text, room, notice);

    /// <inheritdoc />
    public void Act(ChatMember member, string text, string? room = null) => ToRoom(member, ChatEventKind.Action, text, room, notice: false);

    /// <inheritdoc />
    /// <remarks>A notice reads as a private message across nodes; it is never answered, as everywhere.</remarks>
    public void Whisper(ChatMember member, string nick, string text, bool notice = false) => Run(member, async state =>
    {
        if (Refused(member) is { } refusal)
        {
            if (!notice)
                member.Deliver(refusal);
            return;
        }

        string holder = (string)(await Script(RedisScripts.Whisper, ChatText.Skeleton(nick), nick, member.Nick!, text).ConfigureAwait(false))!;
        if (holder.Length > 0)
        {
            ChatMetrics.OnWhispered();
            member.Deliver(new ChatEvent(ChatEventKind.PrivateSent) { Other = holder, Text = text, Notice = notice });
        }
        else if (!notice)
            member.Deliver(new ChatEvent(ChatEventKind.NoSuchNick) { Other = nick });
    });

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">Always, for now: only IRC asks, and IRC does not yet run with a Redis hub.</exception>
    public void Topic(ChatMember member, string room, string? text = null) => throw NotYetAcrossNodes("topics");

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">Always, for now: only IRC asks, and IRC does not yet run with a Redis hub.</exception>
    public void Whois(ChatMember member, string nick) => throw NotYetAcrossNodes("WHOIS");

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">Always, for now: only IRC asks, and IRC does not yet run with a Redis hub.</exception>
    public void Away(ChatMember member, string message) => throw NotYetAcrossNodes("away messages");

    /// <inheritdoc />
    public void ListRooms(ChatMember member) => Run(member, async _ =>
    {
        var reply = (RedisResult[])(await Script(RedisScripts.Rooms).ConfigureAwait(false))!;
        var rooms = Enumerable.Range(0, reply.Length / 2)
            .Select(i => (Name: (string)reply[2 * i]!, Size: (int)reply[(2 * i) + 1]))
            .OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase)
            .ToList();
        member.Deliver(new ChatEvent(ChatEventKind.RoomList) { Names = [.. rooms.Select(r => r.Name)], Sizes = [.. rooms.Select(r => r.Size)] });
    });

    /// <inheritdoc />
    public void ListWho(ChatMember member, string? room = null) => Run(member, async state =>
    {
        if (member.Nick is null && room is null)
        {
            member.Deliver(NameFirst);
            return;
        }

        var names = await _db.HashValuesAsync(RedisScripts.Prefix + "room:" + (room is null ? state.RoomKey : RoomKey(room)) + ":members").ConfigureAwait(false);
        member.Deliver(new ChatEvent(ChatEventKind.WhoList)
        {
            Room = room is null || (member.Room is not null && string.Equals(room, member.Room, StringComparison.OrdinalIgnoreCase)) ? member.Room! : room,
            Names = [.. names.Select(n => (string)n!).Order(StringComparer.OrdinalIgnoreCase)],
        });
    });

    /// <inheritdoc />
    public void Tell(ChatMember member, string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        Run(member, _ =>
        {
            member.Deliver(new ChatEvent(ChatEventKind.Reply) { Text = line });
            return Task.CompletedTask;
        });
    }

    /// <inheritdoc />
    public void Leave(ChatMember member, Farewell how, string message = "") => Run(member, async state =>
    {
        if (state.Skeleton is not null)
        {
            lock (_lock)
            {
                LeaveLocalRoomLocked(state);
                ForgetNameLocked(state);
            }

            // A node shutting down tells the other nodes; its own members are being told goodbye.
            var kind = how == Farewell.Silent ? ChatEventKind.NodeStopped : how.EventKind()!.Value;
            var release = new PendingRelease(state.Skeleton, member.Nick!, state.RoomKey ?? "", kind, message, state.Owner);
            try
            {
                await ReleaseAsync(release).ConfigureAwait(false);
            }
            catch (Exception e) when (IsBackplaneFault(e))
            {
                Unsure(release);
            }

            member.Nick = null;
        }

        lock (_lock)
            _states.Remove(member);
        member.Close();
    });

    /// <inheritdoc />
    public void BeginShutdown()
    {
        lock (_lock)
            _closing = true;
    }

    /// <summary>
    /// Leaves the backplane: waits (a few seconds at most) for the members' calls under way, then
    /// frees the names of any member still here and takes them out of their rooms (the other nodes
    /// see <c>*** NICK quit (server shutting down)</c>), and disconnects.
    /// </summary>
    /// <returns>When done.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        BeginShutdown();
        Task[] pending;
        lock (_lock)
            pending = [.. _states.Values.Select(s => s.Tail)];
        await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Script(RedisScripts.Depart, _node, (int)ChatEventKind.NodeStopped).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (Exception e) when (IsBackplaneFault(e))
        {
            Log.DepartFailed(_log, _node, FirstLine(e.Message));
        }

        await _heartbeat.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _redis.CloseAsync().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _redis.Dispose();
        _stopping.Dispose();
    }

    internal static bool IsBackplaneFault(Exception e) => e is RedisException or TimeoutException or ObjectDisposedException;

    private static string RoomKey(string room) => room.ToLowerInvariant();

    /// <summary>The gist of a Redis client's message: its first line, up to the first "; " (the rest is the client's internals).</summary>
    private static string FirstLine(string message)
    {
        int end = message.IndexOfAny(['\r', '\n']);
        string line = end < 0 ? message : message[..end];
        end = line.IndexOf("; ", StringComparison.Ordinal);
        return end < 0 ? line : line[..end];
    }

    /// <summary>A call's outcome in Redis is unknown: the next beat resyncs (and releases <paramref name="release"/>, if any).</summary>
    private void Unsure(PendingRelease? release)
    {
        lock (_lock)
        {
            if (release is not null)
                _unreleased.Add(release);
            _resyncPending = true;
        }
    }

    private static NotSupportedException NotYetAcrossNodes(string what) =>
        new($"the Redis hub does not yet keep {what} (IRC does not yet run with a Redis hub)");

    /// <summary>The member, if it is a one-room member: members of several rooms are not yet served across nodes.</summary>
    private static ChatMember RequireOneRoom(ChatMember member) => member.ManyRooms
        ? throw new NotSupportedException("the Redis hub does not yet serve members of several rooms (IRC)")
        : member;

    /// <summary>Takes the member's name out of this node's table, if it is still theirs there.</summary>
    private void ForgetNameLocked(MemberState state)
    {
        if (state.Skeleton is { } skeleton && _named.TryGetValue(skeleton, out var holder) && ReferenceEquals(holder, state))
            _named.Remove(skeleton);
    }

    private ChatEvent? Refused(ChatMember member) =>
        member.Nick is null || member.Room is null ? NameFirst
        : Volatile.Read(ref _closing) ? ShuttingDown
        : Volatile.Read(ref _down) ? NotSent
        : null;

    private void ToRoom(ChatMember member, ChatEventKind kind, string text, string? room, bool notice) => Run(member, async state =>
    {
        if (room is not null && member.Room is not null && !string.Equals(room, member.Room, StringComparison.OrdinalIgnoreCase))
        {
            if (!notice)
                member.Deliver(new ChatEvent(ChatEventKind.NotInRoom) { Room = room });
            return;
        }

        if (Refused(member) is { } refusal)
        {
            if (!notice)
                member.Deliver(refusal);
            return;
        }

        long seq;
        try
        {
            seq = (long)(await Script(RedisScripts.Say, state.RoomKey!, (int)kind, state.Skeleton!, member.Nick!, text, state.Owner, _history).ConfigureAwait(false));
        }
        catch (TimeoutException)
        {
            // Sent, but not answered in time: it may have reached the room.
            member.Deliver(Unanswered);
            return;
        }

        if (seq == 0)
            member.Deliver(NotSent);
        else
            ChatMetrics.OnSaid(kind);
    });

    private Task<RedisResult> Script(string script, params RedisValue[] args) => _db.ScriptEvaluateAsync(script, values: args);

    /// <summary>Queues <paramref name="op"/> after the member's earlier calls; a backplane fault is told to the member as <c>! not sent</c>.</summary>
    private void Run(ChatMember member, Func<MemberState, Task> op)
    {
        ArgumentNullException.ThrowIfNull(member);
        MemberState? state;
        lock (_lock)
        {
            if (!_states.TryGetValue(member, out state))
            {
                state = new MemberState(member, $"{_node}/{++_lastMemberId}");
                _states.Add(member, state);
            }
        }

        // The member's calls form a chain: each waits for the one before, taken atomically, and
        // runs on the thread that finished it (or this one), with no lock held, so a call that
        // delivers, and so may make a slow member leave, cannot deadlock with the feed.
        var done = new TaskCompletionSource();
        var previous = Interlocked.Exchange(ref state.Tail, done.Task);
        _ = RunAfter(previous, state, op, done);
    }

    private async Task RunAfter(Task previous, MemberState state, Func<MemberState, Task> op, TaskCompletionSource done)
    {
        try
        {
            await previous.ConfigureAwait(false);
            await op(state).ConfigureAwait(false);
        }
        catch (Exception e) when (IsBackplaneFault(e))
        {
            state.Member.Deliver(NotSent);
        }
        catch (Exception e)
        {
            Log.Unexpected(_log, e);
            state.Member.Deliver(NotSent);
        }
        finally
        {
            done.SetResult();
        }
    }

    /// <summary>Frees a name, if it is still the member's, and takes them out of their room, telling it how they left.</summary>
    private Task<RedisResult> ReleaseAsync(PendingRelease release) =>
        Script(RedisScripts.Leave, _node, release.Skeleton, release.Nick, release.RoomKey, (int)release.Kind, release.Message, release.Owner);

    private void BeginJoin(MemberState state, string roomKey)
    {
        lock (_lock)
            BeginJoinLocked(state, roomKey);
    }

    /// <summary>Moves the member into the room here, holding back the room's events until the join's place in its order is known.</summary>
    private void BeginJoinLocked(MemberState state, string roomKey)
    {
        LeaveLocalRoomLocked(state);
        if (!_rooms.TryGetValue(roomKey, out var room))
            _rooms.Add(roomKey, room = new LocalRoom(roomKey));
        room.Members = [.. room.Members, state];
        state.RoomKey = roomKey;
        state.JoinSeq = 0;
        state.Buffer = [];
    }

    private void AbandonJoin(MemberState state)
    {
        lock (_lock)
        {
            LeaveLocalRoomLocked(state);
            state.RoomKey = null;
            state.Buffer = null;
        }
    }

    /// <summary>
    /// The join's reply, <c>{'joined', SEQ, ROOM, TALK, JOIN EVENT, HISTORY EVENT...}</c>: the
    /// history, the join notice, then the room's events after the join (those held back, then live).
    /// </summary>
    private void CompleteJoinLocked(MemberState state, RedisResult[] reply)
    {
        long seq = (long)reply[1];
        var room = _rooms[state.RoomKey!];
        string roomName = (string)reply[2]!;
        state.Member.Room = roomName;
        if (room.LastTalk == 0)
            room.LastTalk = (long)reply[3];
        var held = state.Buffer ?? [];
        state.JoinSeq = seq;
        state.Buffer = null;
        // Nothing of this room delivered here yet: what comes after the earliest join here is owed,
        // so a gap after it is caught up from the log.
        if (room.LastSeq < 0)
            room.LastSeq = room.Members.Where(m => m.JoinSeq > 0).Min(m => m.JoinSeq) - 1;
        var history = new List<ChatEvent>(reply.Length - 5);
        for (int i = 5; i < reply.Length; i++)
        {
            if (TryDecode((string)reply[i]!) is { } past)
                history.Add(past);
        }

        state.Member.DeliverHistory(roomName, history);

        if (TryDecode((string)reply[4]!) is { } joined)
            state.Member.Deliver(joined);
        foreach (var (heldSeq, origin, e) in held)
        {
            if (heldSeq > seq && (origin != state.Owner || e.EchoedToSpeaker))
                state.Member.Deliver(e);
        }
    }

    /// <summary>An event from Redis, or null (logged) if it cannot be read: one bad event must not stop a room.</summary>
    private ChatEvent? TryDecode(string text)
    {
        try
        {
            return ChatEventCodec.Decode(text);
        }
        catch (FormatException e)
        {
            Log.Undecodable(_log, e.Message);
            return null;
        }
    }

    private void LeaveLocalRoomLocked(MemberState state)
    {
        if (state.RoomKey is null || !_rooms.TryGetValue(state.RoomKey, out var room))
            return;
        room.Members = Array.FindAll(room.Members, m => !ReferenceEquals(m, state));
        if (room.Members.Length == 0)
            _rooms.Remove(room.Key);
    }

    /// <summary>A name to free and a room to leave, once Redis answers (the Leave script's arguments).</summary>
    private sealed record PendingRelease(string Skeleton, string Nick, string RoomKey, ChatEventKind Kind, string Message, string Owner);

    /// <summary>A member as this node keeps them: their owner id in Redis, room, place in the room's order, and their queue of calls.</summary>
    private sealed class MemberState(ChatMember member, string owner)
    {
        public ChatMember Member { get; } = member;

        /// <summary><c>NODE/N</c>: whose claim a name is.</summary>
        public string Owner { get; } = owner;

        public string? Skeleton { get; set; }

        public string? RoomKey { get; set; }

        /// <summary>The seq of their join: room events from it on are theirs; 0 for all, or while the join is under way.</summary>
        public long JoinSeq { get; set; }

        /// <summary>Room events held back while the join is under way; null when it is not.</summary>
        public List<(long Seq, string Origin, ChatEvent Event)>? Buffer { get; set; }

        /// <summary>Done when the member's last call is: the next one waits for it. A field, exchanged with <see cref="Interlocked"/>.</summary>
        public Task Tail = Task.CompletedTask;
    }

    /// <summary>A room with members on this node, and how far into its order this node has delivered.</summary>
    private sealed class LocalRoom(string key)
    {
        public string Key { get; } = key;

        public MemberState[] Members { get; set; } = [];

        /// <summary>The seq of the last event delivered here (or owed to no one here); -1 while unknown, 0 from the start of a new order.</summary>
        public long LastSeq { get; set; } = -1;

        /// <summary>The number of the last line delivered here; 0 if unknown.</summary>
        public long LastTalk { get; set; }
    }
}
