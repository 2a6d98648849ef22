using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Switchboard.Apps.Chat.Redis;

/// <summary>
/// The node's side of the backplane: the events heard on the channel, in order, and the resyncs
/// after a reconnect, one at a time (the feed's gate), so the room state here changes in one order.
/// An event is handled on the subscription's own reader, with no hop to another thread. The
/// heartbeat runs on its own, so a busy node still beats in time.
/// </summary>
internal sealed partial class RedisChatHub
{
    private const char RecordSeparator = '\x1e';

    /// <summary>Subscribes, registers the node (heartbeat), and starts the heartbeat loop.</summary>
    private void Start()
    {
        _redis.ConnectionFailed += OnConnectionFailed;
        _redis.ConnectionRestored += OnConnectionRestored;
        _subscription = _redis.GetSubscriber().Subscribe(RedisChannel.Literal(RedisScripts.EventsChannel));
        _subscription.OnMessage(message => FeedAsync(() => OnMessageAsync((string)message.Message!)));
        _epoch = (string)HeartbeatAsync().GetAwaiter().GetResult()[1]!;
        _heartbeat = Task.Run(BeatAsync);
        Log.Connected(_log, _address, _node);
    }

    private async Task BeatAsync()
    {
        using var timer = new PeriodicTimer(_timing.HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
                await BeatOnceAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Marks this node alive (reaping nodes that are not). If Redis no longer knows this node, or
    /// a resync is owed (a reconnect, a call whose outcome is unknown, a resync that failed), asks
    /// the feed for one; it is asked again at every beat until one succeeds.
    /// </summary>
    private async Task BeatOnceAsync()
    {
        try
        {
            var beat = await HeartbeatAsync().ConfigureAwait(false);
            long reaped = (long)beat[2];
            if (reaped > 0)
                Log.Reaped(_log, reaped);
            bool owed;
            lock (_lock)
                owed = (long)beat[0] == 0 || _unreleased.Count > 0;
            RequestResync(owed);
        }
        catch (Exception e)
        {
            Report(e);
        }
    }

    /// <summary>The heartbeat script: <c>{KNOWN, EPOCH, REAPED}</c> (<see cref="RedisScripts.Heartbeat"/>).</summary>
    private async Task<RedisResult[]> HeartbeatAsync() =>
        (RedisResult[])(await Script(RedisScripts.Heartbeat, _node, (long)_timing.DeadAfter.TotalMilliseconds, (int)ChatEventKind.Lost).ConfigureAwait(false))!;

    /// <summary>Queues a resync on the feed if one is owed (<paramref name="owed"/>, or earlier) and none is queued yet.</summary>
    private void RequestResync(bool owed)
    {
        lock (_lock)
        {
            _resyncPending |= owed;
            if (!_resyncPending || _resyncQueued)
                return;
            _resyncQueued = true;
        }

        _ = FeedAsync(ResyncAsync);
    }

    /// <summary>Logs a failure of the backplane's own work: a Redis fault once per outage, anything else always.</summary>
    private void Report(Exception e)
    {
        if (!IsBackplaneFault(e))
            Log.Unexpected(_log, e);
        else if (!Volatile.Read(ref _down))
            Log.BackplaneFailed(_log, FirstLine(e.Message));
    }

    /// <summary>Runs one event or resync once those before it are done; a fault is logged (once per outage) and the resync left owed.</summary>
    private async Task FeedAsync(Func<Task> work)
    {
        await _feed.WaitAsync().ConfigureAwait(false);
        try
        {
            await work().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Redis is away: the next beat after it is back resyncs, catching up on what this missed.
            Report(e);
        }
        finally
        {
            _feed.Release();
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        lock (_lock)
            _resyncPending = true;
        if (e.ConnectionType != ConnectionType.Interactive || Volatile.Read(ref _disposed) != 0)
        {
            Log.SubscriptionLost(_log, e.FailureType);
            return;
        }

        lock (_lock)
        {
            if (_down)
                return;
            _down = true;
            // A snapshot: a delivery may make a member leave, inline (a slow consumer dropped).
            var notice = new ChatEvent(ChatEventKind.BackplaneDown);
            foreach (var state in _named.Values.ToArray())
                state.Member.Deliver(notice);
        }

        Log.Down(_log, _address, e.FailureType);
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        Log.Restored(_log, e.ConnectionType);
        RequestResync(owed: true);
    }

    /// <summary>
    /// Brings Redis and this node back in step, in the feed's order: frees the names of
    /// members who left meanwhile, puts this node's members back as it has them, catches up every
    /// room here on the events it missed (or follows a new order if Redis lost its data), and
    /// tells members the backplane is back. A failure leaves the resync owed: the next beat asks again.
    /// </summary>
    private async Task ResyncAsync()
    {
        lock (_lock)
        {
            _resyncQueued = false;
            _resyncPending = false;
        }

        try
        {
            string epoch = (string)(await HeartbeatAsync().ConfigureAwait(false))[1]!;
            await ReleaseUnreleasedAsync().ConfigureAwait(false);
            await RegisterAsync().ConfigureAwait(false);

            // Redis lost its data: the rooms' order starts again, from its first event.
            // Otherwise: catch up every room here on the events of the meantime.
            NewerEpoch(epoch);
            string[] keys;
            lock (_lock)
                keys = [.. _rooms.Keys];
            foreach (string key in keys)
                await CatchUpAsync(key, before: long.MaxValue).ConfigureAwait(false);
        }
        catch
        {
            lock (_lock)
                _resyncPending = true;
            throw;
        }

        Log.Resynced(_log);
        lock (_lock)
        {
            if (!_down)
                return;
            _down = false;
            var notice = new ChatEvent(ChatEventKind.BackplaneBack);
            foreach (var state in _named.Values.ToArray())
                state.Member.Deliver(notice);
        }

        Log.Back(_log, _address);
    }

    /// <summary>
    /// For tests: runs in a resync once the members to put back are listed and before Redis is
    /// asked to, where a member's call can overtake the resync.
    /// </summary>
    internal Action? RegisterListed { get; set; }

    /// <summary>
    /// Puts this node's named members back into Redis (a room they are parting is left out: the
    /// part, under way, takes them out); a member whose name someone else took meanwhile is told
    /// and disconnected. Redis forgets any member of this node not passed.
    /// </summary>
    private async Task RegisterAsync()
    {
        MemberState[] named;
        (string? Skeleton, string RoomKeys, string Parting, string? Away)[] seen;
        bool naming;
        var args = new List<RedisValue> { _node };
        lock (_lock)
        {
            args.Add(string.Join(',', _changing.Keys));
            naming = _namingCalls > 0;
            named = [.. _named.Values];
            seen = [.. named.Select(s => (s.Skeleton, RegisteredRoomKeysLocked(s), PartingRoomKeysLocked(s), s.Away))];
            foreach (var state in named)
            {
                var rooms = state.Rooms.Where(m => !m.Parting).ToList();
                args.AddRange([state.Skeleton!, state.Member.Nick ?? "", state.Owner, string.Join(',', rooms.Select(m => m.Key)),
                    string.Join(',', rooms.Select(m => m.Name ?? m.Key)), state.Away ?? "", PartingRoomKeysLocked(state)]);
            }
        }

        RegisterListed?.Invoke();
        var lost = (RedisResult[])(await Script(RedisScripts.Register, [.. args]).ConfigureAwait(false))!;
        if (lost.Length > 0)
            Log.Registered(_log, named.Length, lost.Length);

        // A member who renamed, moved, set or cleared their away message, or got a name while this
        // ran was put back as they were (or forgotten): once more, as they are.
        lock (_lock)
        {
            if (naming)
                _resyncPending = true;
            for (int i = 0; i < named.Length; i++)
            {
                if (named[i].Skeleton != seen[i].Skeleton || RegisteredRoomKeysLocked(named[i]) != seen[i].RoomKeys
                    || PartingRoomKeysLocked(named[i]) != seen[i].Parting || named[i].Away != seen[i].Away)
                {
                    _resyncPending = true;
                }
            }

            var passed = new HashSet<MemberState>(named, ReferenceEqualityComparer.Instance);
            if (_named.Values.Any(s => !passed.Contains(s)))
                _resyncPending = true;
        }

        foreach (var skeleton in lost.Select(r => (string)r!))
        {
            var state = named.First(s => s.Skeleton == skeleton);
            DeliverTo(state.Member, new ChatEvent(ChatEventKind.Reply) { Text = $"! your name {state.Member.Nick} was taken while the chat backplane was away; goodbye" });
            Leave(state.Member, Farewell.Dropped);
        }
    }

    private async Task ReleaseUnreleasedAsync()
    {
        PendingRelease[] left;
        lock (_lock)
        {
            left = [.. _unreleased];
            _unreleased.Clear();
        }

        for (int i = 0; i < left.Length; i++)
        {
            // A name this member holds again (a /nick that failed, then worked) is theirs: kept.
            lock (_lock)
            {
                if (_named.TryGetValue(left[i].Skeleton, out var holder) && holder.Owner == left[i].Owner)
                    continue;
            }

            try
            {
                await ReleaseAsync(left[i]).ConfigureAwait(false);
            }
            catch (Exception e) when (IsBackplaneFault(e))
            {
                lock (_lock)
                    _unreleased.AddRange(left[i..]);
                throw;
            }
        }
    }

    /// <summary>One message from the channel: a room event (caught up first if events before it were missed) or a private message.</summary>
    private async Task OnMessageAsync(string message)
    {
        string[] f = message.Split(RecordSeparator);
        if (f[0] == "p" && f.Length == 3)
        {
            lock (_lock)
            {
                if (_named.TryGetValue(f[1], out var to) && !_closing && TryDecode(f[2]) is { } whisper)
                    to.Member.Deliver(whisper);
            }

            return;
        }

        if (f[0] != "r" || f.Length is not (7 or 8) || !NewerEpoch(f[1]))
            return;
        string key = f[2];
        long seq = long.Parse(f[3], CultureInfo.InvariantCulture);
        bool gap;
        lock (_lock)
        {
            if (!_rooms.TryGetValue(key, out var room) || seq <= room.LastSeq)
                return;
            gap = room.LastSeq >= 0 && seq > room.LastSeq + 1;
        }

        if (gap)
            await CatchUpAsync(key, before: seq).ConfigureAwait(false);
        var e = TryDecode(f[6]);
        if (e is not null && e.Time != default)
            ChatMetrics.BackplaneLag.Record(Math.Max(0, (DateTimeOffset.UtcNow - e.Time).TotalSeconds));
        lock (_lock)
        {
            // Looked up again: the room may have emptied here, and been made again, meanwhile.
            if (_rooms.TryGetValue(key, out var room))
                DeliverLocked(room, seq, long.Parse(f[4], CultureInfo.InvariantCulture), f[5], e, f.Length == 8 ? f[7] : "");
        }
    }

    /// <summary>
    /// Whether an event numbered in <paramref name="epoch"/> belongs to the order this node follows:
    /// true for the current epoch; for a later one (Redis lost its data and numbers from 1 again)
    /// this node starts following the new order here, every room and member from its start;
    /// false for an earlier one (an event of the old order that arrived late).
    /// </summary>
    private bool NewerEpoch(string epoch)
    {
        lock (_lock)
        {
            int order = CompareEpochs(epoch, _epoch);
            if (order <= 0)
                return order == 0;
            _epoch = epoch;
            foreach (var room in _rooms.Values)
            {
                (room.LastSeq, room.LastTalk, room.LastShared) = (0, 0, 0);
                foreach (var membership in room.Members)
                    membership.JoinSeq = 0;
            }

            foreach (var state in _states.Values)
                state.ForgetShared();
        }

        Log.Wiped(_log, _address);
        return true;
    }

    /// <summary>Epochs are Redis's time in Unix ms when its keys were made: a later one is larger.</summary>
    private static int CompareEpochs(string a, string? b) =>
        b is null ? 1 : a.Length != b.Length ? a.Length.CompareTo(b.Length) : string.CompareOrdinal(a, b);

    /// <summary>Delivers the room's events after the last one delivered here and before <paramref name="before"/>, from its log.</summary>
    private async Task CatchUpAsync(string key, long before)
    {
        long after;
        lock (_lock)
        {
            if (!_rooms.TryGetValue(key, out var room) || room.LastSeq < 0)
                return;
            after = room.LastSeq;
        }

        var entries = await _db.StreamRangeAsync(RedisScripts.Prefix + "room:" + key + ":log",
            minId: $"{after + 1}-0", maxId: before == long.MaxValue ? "+" : $"{before - 1}-0").ConfigureAwait(false);
        if (entries.Length == 0)
            return;
        lock (_lock)
        {
            if (!_rooms.TryGetValue(key, out var room))
                return;
            foreach (var entry in entries)
            {
                long seq = long.Parse(((string)entry.Id!).Split('-')[0], CultureInfo.InvariantCulture);
                DeliverLocked(room, seq, (long)entry["n"], (string)entry["o"]!, TryDecode((string)entry["e"]!), (string?)entry["x"] ?? "");
            }
        }

        Log.CaughtUp(_log, entries.Length, key);
    }

    /// <summary>
    /// Delivers one room event to the members here, once: an event at or before the last one
    /// delivered is a repeat and is dropped; a line whose number skips some (gone from the stream
    /// before this node could fetch them) is preceded by a notice of how many were missed.
    /// </summary>
    private void DeliverLocked(LocalRoom room, long seq, long talk, string origin, ChatEvent? e, string shared)
    {
        if (seq <= room.LastSeq)
            return;
        room.LastSeq = seq;
        long missed = talk > 0 && room.LastTalk > 0 ? talk - room.LastTalk - 1 : 0;
        if (talk > 0)
            room.LastTalk = talk;
        if (_closing || e is null)
            return;
        var notice = missed > 0 ? new ChatEvent(ChatEventKind.Missed) { Room = e.Room, Count = (int)Math.Min(missed, int.MaxValue) } : null;
        int delivered = 0;
        var held = new HeldEvent(seq, origin, e, shared);
        foreach (var membership in room.Members)
        {
            if (membership.Buffer is { } buffer)
            {
                buffer.Add(held);
                continue;
            }

            if (seq < membership.JoinSeq)
                continue;
            if (notice is not null)
                membership.State.Member.Deliver(notice);
            if (DeliverOwedLocked(membership, held))
                delivered++;
        }

        ChatMetrics.OnDelivered(delivered);
        if (shared.Length > 0 && long.TryParse(shared, NumberStyles.None, CultureInfo.InvariantCulture, out long id) && id > room.LastShared)
        {
            room.LastShared = id;
            foreach (var membership in room.Members)
                ForgetPassedSharedLocked(membership.State);
        }
    }

    /// <summary>
    /// Lets the member forget the shared ids no room of theirs here can bring again: those up to
    /// the smallest last shared id of their rooms (none while a join or part of theirs holds a room back).
    /// </summary>
    private void ForgetPassedSharedLocked(MemberState state)
    {
        long passed = long.MaxValue;
        foreach (var membership in state.Rooms)
        {
            passed = membership.Buffer is null && _rooms.TryGetValue(membership.Key, out var room) ? Math.Min(passed, room.LastShared) : 0;
            if (passed == 0)
                return;
        }

        state.ForgetSharedThrough(passed);
    }

    /// <summary>
    /// Delivers a room event to one member here if it is theirs to hear: not their own talk (unless
    /// they asked for it back, IRC's echo-message) nor their own join, part, rename or topic (they
    /// are told those in answer to their call), and an event told in several rooms only once.
    /// </summary>
    private static bool DeliverOwedLocked(Membership membership, HeldEvent held)
    {
        var state = membership.State;
        bool own = held.Origin == state.Owner;
        if (own && !held.Event.EchoedToSpeaker && !(held.Event.Kind == ChatEventKind.Talk && state.Member.EchoesOwnTalk))
            return false;
        if (held.Shared.Length > 0 && !state.FirstHearing(held.Shared))
            return false;
        state.Member.Deliver(held.Event);
        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Chat backplane: connected to redis at {Address} as node {Node}")]
        public static partial void Connected(ILogger logger, RedisHubAddress address, string node);

        [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Chat backplane: lost redis at {Address} ({Failure}); members told, lines refused until it is back")]
        public static partial void Down(ILogger logger, RedisHubAddress address, ConnectionFailureType failure);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Chat backplane: redis at {Address} is back; members told")]
        public static partial void Back(ILogger logger, RedisHubAddress address);

        [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "Chat backplane: {Connection} connection restored; catching up")]
        public static partial void Restored(ILogger logger, ConnectionType connection);

        [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Chat backplane: subscription lost ({Failure}); missed events are fetched from the rooms' logs when it is back")]
        public static partial void SubscriptionLost(ILogger logger, ConnectionFailureType failure);

        [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Chat backplane: #{Room} caught up from its log (missed events: {Count})")]
        public static partial void CaughtUp(ILogger logger, int count, string room);

        [LoggerMessage(EventId = 1106, Level = LogLevel.Information, Message = "Chat backplane: members of nodes that stopped answering left their rooms: {Count}")]
        public static partial void Reaped(ILogger logger, long count);

        [LoggerMessage(EventId = 1107, Level = LogLevel.Warning, Message = "Chat backplane: redis no longer knew this node; members put back: {Count} (of them, lost their names to others meanwhile: {Lost})")]
        public static partial void Registered(ILogger logger, int count, int lost);

        [LoggerMessage(EventId = 1108, Level = LogLevel.Warning, Message = "Chat backplane: redis at {Address} lost its data (restarted empty?); rooms start again from now, earlier history is gone")]
        public static partial void Wiped(ILogger logger, RedisHubAddress address);

        [LoggerMessage(EventId = 1109, Level = LogLevel.Warning, Message = "Chat backplane: {Error}; retrying on reconnect")]
        public static partial void BackplaneFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 1110, Level = LogLevel.Warning, Message = "Chat backplane: could not leave cleanly as node {Node} ({Error}); the other nodes will see its members leave once its heartbeat expires")]
        public static partial void DepartFailed(ILogger logger, string node, string error);

        [LoggerMessage(EventId = 1111, Level = LogLevel.Error, Message = "Chat backplane: unexpected error")]
        public static partial void Unexpected(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1112, Level = LogLevel.Warning, Message = "Chat backplane: skipped an event that cannot be read ({Error}); is every node the same version?")]
        public static partial void Undecodable(ILogger logger, string error);

        [LoggerMessage(EventId = 1114, Level = LogLevel.Debug, Message = "Chat backplane: resynced with redis")]
        public static partial void Resynced(ILogger logger);
    }
}
