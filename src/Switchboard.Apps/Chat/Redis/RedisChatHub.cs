using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Switchboard.Apps.Chat.Redis;

/// <summary>
/// An <see cref="IChatHub"/> shared by every node (process) pointed at one Redis: names, rooms
/// (several per IRC member), <c>/who</c>, <c>/rooms</c>, <c>/msg</c>, history, topics and away
/// messages live in Redis, changed only by the Lua scripts of <see cref="RedisScripts"/>, and every node hears every room event once on
/// one channel and fans it out to its own members. Each member's calls run one after another, so a
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
    private readonly Dictionary<string, int> _changing = new(StringComparer.Ordinal); // skeletons a Nick or Leave is changing in Redis
    private int _namingCalls; // Nick calls under way
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
    /// <returns>The hub, connected.</returns>
    /// <exception cref="ArgumentException"><paramref name="url"/> is not of the form <c>redis://HOST:PORT[/DB]</c>.</exception>
    /// <exception cref="ChatBackplaneException">Redis cannot be reached.</exception>
    public static RedisChatHub Connect(string url, int history, ILoggerFactory? loggerFactory = null, RedisHubTiming? timing = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(history);
        var address = RedisHubAddress.Parse(url);
        var log = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Switchboard.Chat.Redis");
        var redis = ConnectOnce(address);

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

    /// <summary>Connects, once: a server starting says at once that Redis is not there.</summary>
    /// <exception cref="ChatBackplaneException">Redis cannot be reached.</exception>
    private static ConnectionMultiplexer ConnectOnce(RedisHubAddress address)
    {
        try
        {
            return ConnectionMultiplexer.Connect(address.ToConfiguration());
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new ChatBackplaneException($"cannot reach redis at {address} (is redis-server running and listening there?)", e);
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
            DeliverTo(member, new ChatEvent(ChatEventKind.AlreadyNamed) { Nick = nick });
            return;
        }

        string skeleton = ChatText.Skeleton(nick);
        // A one-room member's first name puts them in the lobby; a member of several (IRC) starts in none.
        bool toLobby = old is null && !member.ManyRooms;
        string roomKeys;
        Membership? lobby = null;
        lock (_lock)
        {
            roomKeys = RoomKeysLocked(state);
            if (toLobby)
                lobby = BeginJoinLocked(state, ChatHub.Lobby);
        }

        using var changing = ChangingName(skeleton, naming: true);
        RedisResult[] reply;
        try
        {
            reply = (RedisResult[])(await Script(RedisScripts.Nick,
                _node, state.Owner, skeleton, nick, state.Skeleton ?? "", old ?? "", roomKeys, toLobby ? _history : 0, toLobby ? "1" : "").ConfigureAwait(false))!;
        }
        catch (Exception e) when (IsBackplaneFault(e))
        {
            // Redis may have done it all the same: the name is released (if it is this member's),
            // or the old one claimed again, at the next resync.
            if (lobby is not null)
                AbandonJoin(lobby);
            Unsure(new PendingRelease(skeleton, nick, old is null ? (toLobby ? ChatHub.Lobby : "") : roomKeys, old is null ? ChatEventKind.Dropped : 0, "", state.Owner));
            throw;
        }

        switch ((string?)reply[0])
        {
            case "taken":
                if (lobby is not null)
                    AbandonJoin(lobby);
                string holder = (string)reply[1]!;
                DeliverTo(member, string.Equals(holder, nick, StringComparison.OrdinalIgnoreCase)
                    ? new ChatEvent(ChatEventKind.NameTaken) { Nick = nick }
                    : new ChatEvent(ChatEventKind.NameTooLike) { Nick = nick, Other = holder });
                break;
            case "joined" or "named":
                lock (_lock)
                {
                    state.Skeleton = skeleton;
                    _named[skeleton] = state;
                    member.Nick = nick;
                    if (lobby is not null)
                        CompleteJoinLocked(lobby, reply);
                }

                DeliverTo(member, new ChatEvent(ChatEventKind.Registered) { Nick = nick, Room = member.Room ?? "" });
                break;
            default:
                lock (_lock)
                {
                    ForgetNameLocked(state);
                    state.Skeleton = skeleton;
                    _named[skeleton] = state;
                    member.Nick = nick;
                }

                DeliverTo(member, ChatEventCodec.Decode((string)reply[1]!));
                break;
        }
    });

    /// <inheritdoc />
    public void Join(ChatMember member, string room) => Run(member, async state =>
    {
        if (member.Nick is null)
        {
            DeliverTo(member, NameFirst);
            return;
        }

        string key = RoomKey(room);
        Membership? old;
        Membership joining;
        lock (_lock)
        {
            if (state.Find(key) is { } already)
            {
                DeliverTo(member, new ChatEvent(ChatEventKind.AlreadyInRoom) { Room = already.Name ?? room });
                return;
            }

            // A one-room member moves: Redis takes them out of their room in the same script.
            old = member.ManyRooms ? null : state.Rooms.LastOrDefault();
            joining = BeginJoinLocked(state, key);
        }

        RedisResult[] reply;
        try
        {
            reply = (RedisResult[])(await Script(RedisScripts.Join, _node, state.Skeleton!, member.Nick, old?.Key ?? "", key, room, _history, state.Owner).ConfigureAwait(false))!;
        }
        catch (Exception e) when (IsBackplaneFault(e))
        {
            // They stay where they were here, from now on; if Redis moved them all the same, the
            // next resync moves them back (Register puts each member where this node has them).
            lock (_lock)
            {
                RemoveLocked(joining);
                if (old is not null)
                {
                    var back = BeginJoinLocked(state, old.Key);
                    back.Name = old.Name;
                    back.JoinSeq = _rooms[old.Key].LastSeq + 1;
                    back.Buffer = null;
                }
            }

            Unsure(null);
            throw;
        }

        lock (_lock)
            CompleteJoinLocked(joining, reply);
    });

    /// <inheritdoc />
    /// <remarks>A one-room member cannot part (they move with <see cref="Join"/>).</remarks>
    public void Part(ChatMember member, string room, string message = "") => Run(member, async state =>
    {
        Membership? membership;
        lock (_lock)
            membership = member.ManyRooms ? state.Find(RoomKey(room)) : null;
        if (member.Nick is null)
            DeliverTo(member, NameFirst);
        else if (membership is null)
            DeliverTo(member, new ChatEvent(ChatEventKind.NotInRoom) { Room = room });
        else
            await PartAsync(state, membership, message).ConfigureAwait(false);
    });

    /// <inheritdoc />
    public void PartAll(ChatMember member) => Run(member, async state =>
    {
        if (member.Nick is null)
        {
            DeliverTo(member, NameFirst);
            return;
        }

        if (!member.ManyRooms)
            return;
        List<Membership> rooms;
        lock (_lock)
            rooms = [.. state.Rooms.OrderBy(m => m.Name ?? m.Key, StringComparer.OrdinalIgnoreCase)];
        foreach (var membership in rooms)
            await PartAsync(state, membership, "").ConfigureAwait(false);
    });

    /// <inheritdoc />
    public void Say(ChatMember member, string text, string? room = null, bool notice = false) => ToRoom(member, ChatEventKind.Talk, text, room, notice);

    /// <inheritdoc />
    public void Act(ChatMember member, string text, string? room = null) => ToRoom(member, ChatEventKind.Action, text, room, notice: false);

    /// <inheritdoc />
    public void Whisper(ChatMember member, string nick, string text, bool notice = false) => Run(member, async state =>
    {
        if (Refused(member) is { } refusal)
        {
            if (!notice)
                DeliverTo(member, refusal);
            return;
        }

        var reply = (RedisResult[])(await Script(RedisScripts.Whisper, ChatText.Skeleton(nick), nick, member.Nick!, text, notice ? "n" : "").ConfigureAwait(false))!;
        string holder = (string)reply[0]!;
        string away = (string)reply[1]!;
        if (holder.Length > 0)
        {
            ChatMetrics.OnWhispered();
            DeliverTo(member, new ChatEvent(ChatEventKind.PrivateSent) { Other = holder, Text = text, Notice = notice });
            if (away.Length > 0 && !notice)
                DeliverTo(member, new ChatEvent(ChatEventKind.IsAway) { Nick = holder, Text = away });
        }
        else if (!notice)
            DeliverTo(member, new ChatEvent(ChatEventKind.NoSuchNick) { Other = nick });
    }, notice);

    /// <inheritdoc />
    public void Topic(ChatMember member, string room, string? text = null) => Run(member, async state =>
    {
        string key = RoomKey(room);
        if (text is null)
        {
            RedisResult[] topic;
            try
            {
                topic = (RedisResult[])(await Script(RedisScripts.GetTopic, key).ConfigureAwait(false))!;
            }
            catch (Exception) when (member.ManyRooms)
            {
                // An IRC front-end pairs each answer with its ask, in order: answered (no topic),
                // then told it failed.
                DeliverTo(member, new ChatEvent(ChatEventKind.TopicIs) { Room = room });
                throw;
            }

            string name = (string)topic[0]!;
            string said = (string)topic[1]!;
            DeliverTo(member, new ChatEvent(ChatEventKind.TopicIs)
            {
                Room = name.Length > 0 ? name : room,
                Text = said,
                Other = (string)topic[2]!,
                Time = said.Length > 0 ? DateTimeOffset.FromUnixTimeMilliseconds((long)topic[3]) : default,
            });
            return;
        }

        Membership? membership;
        lock (_lock)
            membership = state.Find(key);
        if (member.Nick is null)
            DeliverTo(member, NameFirst);
        else if (membership is null)
            DeliverTo(member, new ChatEvent(ChatEventKind.NotInRoom) { Room = room });
        else if (Refused(member) is { } refusal)
            DeliverTo(member, refusal);
        else
        {
            var reply = (RedisResult[])(await Script(RedisScripts.SetTopic, key, state.Skeleton!, member.Nick, text, state.Owner).ConfigureAwait(false))!;
            long seq = (long)reply[0];
            if (seq == 0 || TryDecode((string)reply[1]!) is not { } set)
            {
                DeliverTo(member, NotSent);
                return;
            }

            // The setter hears it too, after every event of the room before it, as everyone else does.
            await InFeedAsync(async () =>
            {
                await CatchUpQuietlyAsync(key, seq).ConfigureAwait(false);
                DeliverTo(member, set);
            }).ConfigureAwait(false);
        }
    });

    /// <inheritdoc />
    public void Whois(ChatMember member, string nick) => Run(member, async _ =>
    {
        if (member.Nick is null)
        {
            DeliverTo(member, NameFirst);
            return;
        }

        var reply = (RedisResult[])(await Script(RedisScripts.Whois, ChatText.Skeleton(nick), nick).ConfigureAwait(false))!;
        DeliverTo(member, reply.Length == 0
            ? new ChatEvent(ChatEventKind.WhoisReply) { Other = nick }
            : new ChatEvent(ChatEventKind.WhoisReply)
            {
                Nick = (string)reply[0]!,
                Other = nick,
                Text = (string)reply[1]!,
                Names = [.. reply.Skip(2).Select(r => (string)r!).Order(StringComparer.OrdinalIgnoreCase)],
            });
    });

    /// <inheritdoc />
    public void Away(ChatMember member, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Run(member, async state =>
        {
            if (member.Nick is null)
            {
                DeliverTo(member, NameFirst);
                return;
            }

            // Kept here too: a resync puts it in Redis with the member, so a fault now loses nothing.
            lock (_lock)
                state.Away = message.Length > 0 ? message : null;
            try
            {
                await Script(RedisScripts.Away, state.Owner, state.Skeleton!, message).ConfigureAwait(false);
            }
            catch (Exception e) when (IsBackplaneFault(e))
            {
                Unsure(null);
            }
        });
    }

    /// <inheritdoc />
    public void ListRooms(ChatMember member) => Run(member, async _ =>
    {
        var reply = (RedisResult[])(await Script(RedisScripts.Rooms).ConfigureAwait(false))!;
        var rooms = Enumerable.Range(0, reply.Length / 2)
            .Select(i => (Name: (string)reply[2 * i]!, Size: (int)reply[(2 * i) + 1]))
            .OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase)
            .ToList();
        DeliverTo(member, new ChatEvent(ChatEventKind.RoomList) { Names = [.. rooms.Select(r => r.Name)], Sizes = [.. rooms.Select(r => r.Size)] });
    });

    /// <inheritdoc />
    public void ListWho(ChatMember member, string? room = null) => Run(member, async state =>
    {
        if (member.Nick is null && room is null)
        {
            DeliverTo(member, NameFirst);
            return;
        }

        string? key;
        lock (_lock)
            key = room is not null ? RoomKey(room) : state.Rooms.LastOrDefault()?.Key;
        if (key is null)
        {
            DeliverTo(member, new ChatEvent(ChatEventKind.WhoList) { Room = room ?? "" });
            return;
        }

        RedisResult[] reply;
        try
        {
            reply = (RedisResult[])(await Script(RedisScripts.Who, key).ConfigureAwait(false))!;
        }
        catch (Exception) when (member.ManyRooms)
        {
            // An IRC front-end pairs each answer with its ask, and holds a room's events back from
            // its JOIN until the names: answered (no names), then told it failed.
            DeliverTo(member, new ChatEvent(ChatEventKind.WhoList) { Room = room ?? member.Room ?? "" });
            throw;
        }

        string name = (string)reply[0]!;
        DeliverTo(member, new ChatEvent(ChatEventKind.WhoList)
        {
            Room = name.Length > 0 ? name : room ?? member.Room ?? "",
            Names = [.. reply.Skip(1).Select(n => (string)n!).Order(StringComparer.OrdinalIgnoreCase)],
        });
    });

    /// <inheritdoc />
    public void Tell(ChatMember member, string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        Run(member, _ =>
        {
            DeliverTo(member, new ChatEvent(ChatEventKind.Reply) { Text = line });
            return Task.CompletedTask;
        });
    }

    /// <inheritdoc />
    public void Leave(ChatMember member, Farewell how, string message = "") => Run(member, async state =>
    {
        if (state.Skeleton is not null)
        {
            // Before the name leaves this node's table: a resync meanwhile leaves it to this call.
            using var changing = ChangingName(state.Skeleton, naming: false);
            string roomKeys;
            lock (_lock)
            {
                roomKeys = RoomKeysLocked(state);
                foreach (var membership in state.Rooms.ToList())
                    RemoveLocked(membership);
                ForgetNameLocked(state);
            }

            // A node shutting down tells the other nodes; its own members are being told goodbye.
            var kind = how == Farewell.Silent ? ChatEventKind.NodeStopped : how.EventKind()!.Value;
            var release = new PendingRelease(state.Skeleton, member.Nick!, roomKeys, kind, message, state.Owner);
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

    /// <summary>Takes the member's name out of this node's table, if it is still theirs there.</summary>
    private void ForgetNameLocked(MemberState state)
    {
        if (state.Skeleton is { } skeleton && _named.TryGetValue(skeleton, out var holder) && ReferenceEquals(holder, state))
            _named.Remove(skeleton);
    }

    /// <summary>
    /// Delivers an answer to one member under the hub's lock, as the feed delivers room events:
    /// a member is handed one event at a time (an IRC member holds a room's events back between
    /// its <c>JOIN</c> and the names, in state that is not shared safely).
    /// </summary>
    private void DeliverTo(ChatMember member, ChatEvent chatEvent)
    {
        lock (_lock)
            member.Deliver(chatEvent);
    }

    /// <summary>Why nothing the member says can go anywhere now, if so: no name yet, the server stopping, or Redis away.</summary>
    private ChatEvent? Refused(ChatMember member) =>
        member.Nick is null ? NameFirst
        : Volatile.Read(ref _closing) ? ShuttingDown
        : Volatile.Read(ref _down) ? NotSent
        : null;

    private void ToRoom(ChatMember member, ChatEventKind kind, string text, string? room, bool notice) => Run(member, async state =>
    {
        // The room named, or a one-room member's room; talk goes only to a room the member is in.
        Membership? membership;
        lock (_lock)
            membership = room is null ? state.Rooms.LastOrDefault() : state.Find(RoomKey(room));
        var refusal = Refused(member) ?? (membership is null ? new ChatEvent(ChatEventKind.NotInRoom) { Room = room ?? "" } : null);
        if (refusal is not null)
        {
            if (!notice)
                DeliverTo(member, refusal);
            return;
        }

        long seq;
        try
        {
            seq = (long)(await Script(RedisScripts.Say, membership!.Key, (int)kind, state.Skeleton!, member.Nick!, text, state.Owner, _history, notice ? "n" : "").ConfigureAwait(false));
        }
        catch (TimeoutException)
        {
            // Sent, but not answered in time: it may have reached the room.
            if (!notice)
                DeliverTo(member, Unanswered);
            return;
        }

        if (seq != 0)
            ChatMetrics.OnSaid(kind);
        else if (!notice)
            DeliverTo(member, NotSent);
    }, notice);

    private Task<RedisResult> Script(string script, params RedisValue[] args) => _db.ScriptEvaluateAsync(script, values: args);

    /// <summary>
    /// Queues <paramref name="op"/> after the member's earlier calls; a backplane fault is told to
    /// the member as <c>! not sent</c>, unless the call is a <paramref name="notice"/>, which nothing answers.
    /// </summary>
    private void Run(ChatMember member, Func<MemberState, Task> op, bool notice = false)
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
        _ = RunAfter(previous, state, op, done, notice);
    }

    private async Task RunAfter(Task previous, MemberState state, Func<MemberState, Task> op, TaskCompletionSource done, bool notice)
    {
        try
        {
            await previous.ConfigureAwait(false);
            await op(state).ConfigureAwait(false);
        }
        catch (Exception e) when (IsBackplaneFault(e))
        {
            if (!notice)
                DeliverTo(state.Member, NotSent);
        }
        catch (Exception e)
        {
            Log.Unexpected(_log, e);
            if (!notice)
                DeliverTo(state.Member, NotSent);
        }
        finally
        {
            done.SetResult();
        }
    }

    /// <summary>Frees a name, if it is still the member's, and takes them out of their rooms, telling each how they left.</summary>
    private Task<RedisResult> ReleaseAsync(PendingRelease release) =>
        Script(RedisScripts.Leave, _node, release.Skeleton, release.Nick, release.RoomKeys, (int)release.Kind, release.Message, release.Owner);

    /// <summary>The keys of the rooms this node has the member in, comma-separated, in the order joined.</summary>
    private static string RoomKeysLocked(MemberState state) => string.Join(',', state.Rooms.Select(m => m.Key));

    /// <summary>The keys of the rooms a resync puts the member back in: theirs but those they are parting.</summary>
    private static string RegisteredRoomKeysLocked(MemberState state) => string.Join(',', state.Rooms.Where(m => !m.Parting).Select(m => m.Key));

    /// <summary>The keys of the rooms the member is parting (their part under way), comma-separated.</summary>
    private static string PartingRoomKeysLocked(MemberState state) => string.Join(',', state.Rooms.Where(m => m.Parting).Select(m => m.Key));

    /// <summary>
    /// Puts the member in the room here (a one-room member leaves theirs), holding back the room's
    /// events until the join's place in its order is known.
    /// </summary>
    private Membership BeginJoinLocked(MemberState state, string roomKey)
    {
        if (!state.Member.ManyRooms)
        {
            foreach (var left in state.Rooms.ToList())
                RemoveLocked(left);
        }

        if (!_rooms.TryGetValue(roomKey, out var room))
            _rooms.Add(roomKey, room = new LocalRoom(roomKey));
        var membership = new Membership(state, roomKey) { Buffer = [] };
        room.Members = [.. room.Members, membership];
        state.Rooms.Add(membership);
        return membership;
    }

    private void AbandonJoin(Membership membership)
    {
        lock (_lock)
            RemoveLocked(membership);
    }

    /// <summary>
    /// The join's reply, <c>{'joined', SEQ, ROOM, TALK, JOIN EVENT, HISTORY EVENT...}</c>: the
    /// history, the join notice, then the room's events after the join (those held back, then live).
    /// </summary>
    private void CompleteJoinLocked(Membership membership, RedisResult[] reply)
    {
        long seq = (long)reply[1];
        var room = _rooms[membership.Key];
        string roomName = (string)reply[2]!;
        var member = membership.State.Member;
        membership.Name = roomName;
        member.Room = roomName;
        if (room.LastTalk == 0)
            room.LastTalk = (long)reply[3];
        var held = membership.Buffer ?? [];
        membership.JoinSeq = seq;
        membership.Buffer = null;
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

        member.DeliverHistory(roomName, history);

        if (TryDecode((string)reply[4]!) is { } joined)
            member.Deliver(joined);
        foreach (var e in held)
        {
            if (e.Seq > seq)
                DeliverOwedLocked(membership, e);
        }
    }

    /// <summary>
    /// A member of several rooms leaves one: the room's events are held back for them until the
    /// part's place in the room's order is known; then they get every event before it (caught up
    /// from the room's log if the channel has not brought it yet), and last the part itself, as
    /// IRC's confirmation. Their later calls wait for this, so they read the answers in order.
    /// </summary>
    private async Task PartAsync(MemberState state, Membership membership, string message)
    {
        var member = state.Member;
        lock (_lock)
        {
            membership.Buffer ??= [];
            membership.Parting = true; // a resync meanwhile must not put them back
        }

        RedisResult[] reply;
        try
        {
            reply = (RedisResult[])(await Script(RedisScripts.Part, _node, state.Skeleton!, member.Nick!, membership.Key, message, state.Owner).ConfigureAwait(false))!;
        }
        catch (Exception e) when (IsBackplaneFault(e))
        {
            // Still in the room here; if Redis took them out all the same, the next resync puts them back.
            lock (_lock)
            {
                var held = membership.Buffer ?? [];
                membership.Buffer = null;
                membership.Parting = false;
                foreach (var past in held)
                    DeliverOwedLocked(membership, past);
            }

            Unsure(null);
            throw;
        }

        long seq = (long)reply[0];
        var left = (seq > 0 ? TryDecode((string)reply[1]!) : null)
            ?? new ChatEvent(ChatEventKind.Left) { Nick = member.Nick!, Room = membership.Name ?? membership.Key, Text = message };
        await InFeedAsync(async () =>
        {
            bool caughtUp = seq == 0 || await CatchUpQuietlyAsync(membership.Key, seq).ConfigureAwait(false);
            lock (_lock)
            {
                var held = membership.Buffer ?? [];
                membership.Buffer = null;
                foreach (var past in held)
                {
                    if (seq == 0 || past.Seq < seq)
                        DeliverOwedLocked(membership, past);
                }

                // Events before the part that this node could not fetch: the channel brings them
                // later, when she is no longer in the room here. She is told how many (at most
                // that many lines).
                if (!caughtUp && _rooms.TryGetValue(membership.Key, out var room) && room.LastSeq >= 0 && seq - 1 - room.LastSeq > 0)
                    member.Deliver(new ChatEvent(ChatEventKind.Missed) { Room = membership.Name ?? membership.Key, Count = (int)Math.Min(seq - 1 - room.LastSeq, int.MaxValue) });

                RemoveLocked(membership);
                member.Room = state.Rooms.LastOrDefault()?.Name;
                member.Deliver(left);
            }
        }).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="work"/> in the feed's turn, so no room event is handled meanwhile; a fault goes to the caller.</summary>
    private async Task InFeedAsync(Func<Task> work)
    {
        await _feed.WaitAsync().ConfigureAwait(false);
        try
        {
            await work().ConfigureAwait(false);
        }
        finally
        {
            _feed.Release();
        }
    }

    /// <summary>
    /// In the feed's turn: delivers the room's events before <paramref name="seq"/> that this node
    /// has not yet (the channel and a script's reply race), so that what a member hears of its own
    /// call comes after them. If Redis fails meanwhile, the next resync catches up instead.
    /// </summary>
    /// <returns>False if Redis failed: events before <paramref name="seq"/> may not be delivered here yet.</returns>
    private async Task<bool> CatchUpQuietlyAsync(string key, long seq)
    {
        try
        {
            await CatchUpAsync(key, before: seq).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (IsBackplaneFault(e))
        {
            Report(e);
            Unsure(null);
            return false;
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

    /// <summary>Takes the member out of one room here; the room goes when its last member here does.</summary>
    private void RemoveLocked(Membership membership)
    {
        membership.State.Rooms.Remove(membership);
        if (!_rooms.TryGetValue(membership.Key, out var room))
            return;
        room.Members = Array.FindAll(room.Members, m => !ReferenceEquals(m, membership));
        if (room.Members.Length == 0)
            _rooms.Remove(room.Key);
    }

    /// <summary>
    /// Notes, until disposed, that a call of this node is changing <paramref name="skeleton"/>'s
    /// state in Redis (a <see cref="Nick"/> if <paramref name="naming"/>, else a <see cref="Leave"/>):
    /// a resync meanwhile leaves that name's entries alone, and after a rename or a first name asks again.
    /// </summary>
    private NameChange ChangingName(string skeleton, bool naming)
    {
        lock (_lock)
        {
            _changing[skeleton] = _changing.GetValueOrDefault(skeleton) + 1;
            if (naming)
                _namingCalls++;
        }

        return new NameChange(this, skeleton, naming);
    }

    /// <summary>A call changing a name's state in Redis, under way until disposed (<see cref="ChangingName"/>).</summary>
    private sealed class NameChange(RedisChatHub hub, string skeleton, bool naming) : IDisposable
    {
        public void Dispose()
        {
            lock (hub._lock)
            {
                if (--hub._changing[skeleton] == 0)
                    hub._changing.Remove(skeleton);
                if (naming)
                    hub._namingCalls--;
            }
        }
    }

    /// <summary>A name to free and rooms to leave (comma-separated keys), once Redis answers (the Leave script's arguments).</summary>
    private sealed record PendingRelease(string Skeleton, string Nick, string RoomKeys, ChatEventKind Kind, string Message, string Owner);

    /// <summary>A room event held back for a member while their join or part is under way.</summary>
    private readonly record struct HeldEvent(long Seq, string Origin, ChatEvent Event, string Shared);

    /// <summary>
    /// A member as this node keeps them: their owner id in Redis, name, rooms, away message, and
    /// their queue of calls. Their rooms and away message are changed under the hub's lock.
    /// </summary>
    private sealed class MemberState(ChatMember member, string owner)
    {
        // Enough for the copies of one room's whole log (1,000 events) to come between two copies
        // of one event, as when a resync catches the rooms up one after another.
        private const int SharedRemembered = 1024;
        private readonly Queue<long> _sharedOrder = new();
        private readonly HashSet<long> _shared = [];

        public ChatMember Member { get; } = member;

        /// <summary><c>NODE/N</c>: whose claim a name is.</summary>
        public string Owner { get; } = owner;

        public string? Skeleton { get; set; }

        /// <summary>The rooms this node has them in, in the order joined: one at most for a one-room member.</summary>
        public List<Membership> Rooms { get; } = [];

        /// <summary>Their away message, or null: put back in Redis by a resync.</summary>
        public string? Away { get; set; }

        /// <summary>Done when the member's last call is: the next one waits for it. A field, exchanged with <see cref="Interlocked"/>.</summary>
        public Task Tail = Task.CompletedTask;

        public Membership? Find(string roomKey) => Rooms.Find(m => m.Key == roomKey);

        /// <summary>
        /// True the first time this member is handed an event told in several rooms (by its shared
        /// id), false for its other copies: a rename or a quit is heard once, however many rooms are shared.
        /// </summary>
        public bool FirstHearing(string shared)
        {
            if (!long.TryParse(shared, NumberStyles.None, CultureInfo.InvariantCulture, out long id))
                return true;
            if (!_shared.Add(id))
                return false;
            _sharedOrder.Enqueue(id);
            if (_sharedOrder.Count > SharedRemembered)
                _shared.Remove(_sharedOrder.Dequeue());
            return true;
        }

        /// <summary>
        /// Forgets the shared ids heard up to <paramref name="passed"/>: each of their rooms here
        /// has delivered an event told in several rooms numbered at least that, and a room's
        /// copies come in the order of the ids, so no copy of those is still to come.
        /// </summary>
        public void ForgetSharedThrough(long passed)
        {
            while (_sharedOrder.TryPeek(out long oldest) && oldest <= passed)
                _shared.Remove(_sharedOrder.Dequeue());
        }

        /// <summary>Forgets the shared ids heard: Redis lost its data, and numbers them from 1 again.</summary>
        public void ForgetShared()
        {
            _shared.Clear();
            _sharedOrder.Clear();
        }
    }

    /// <summary>A member in one room here, and their place in its order.</summary>
    private sealed class Membership(MemberState state, string key)
    {
        public MemberState State { get; } = state;

        public string Key { get; } = key;

        /// <summary>The room's name as Redis spells it, once the join is done.</summary>
        public string? Name { get; set; }

        /// <summary>The seq of their join: room events from it on are theirs; 0 for all, or while the join is under way.</summary>
        public long JoinSeq { get; set; }

        /// <summary>Room events held back while a join or a part is under way; null when none is.</summary>
        public List<HeldEvent>? Buffer { get; set; }

        /// <summary>True while their part is under way: a resync leaves the room out (the part takes them out of it in Redis).</summary>
        public bool Parting { get; set; }
    }

    /// <summary>A room with members on this node, and how far into its order this node has delivered.</summary>
    private sealed class LocalRoom(string key)
    {
        public string Key { get; } = key;

        public Membership[] Members { get; set; } = [];

        /// <summary>The seq of the last event delivered here (or owed to no one here); -1 while unknown, 0 from the start of a new order.</summary>
        public long LastSeq { get; set; } = -1;

        /// <summary>The number of the last line delivered here; 0 if unknown.</summary>
        public long LastTalk { get; set; }

        /// <summary>The largest shared id of an event delivered here (told in several rooms at once); 0 if none yet.</summary>
        public long LastShared { get; set; }
    }
}
