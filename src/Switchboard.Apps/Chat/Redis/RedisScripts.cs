namespace Switchboard.Apps.Chat.Redis;

/// <summary>
/// The Lua scripts of the Redis hub. Each change to shared state is one script, so Redis runs it
/// whole and alone: a name is claimed by exactly one node, and a room's events get one order
/// (its <c>seq</c> counter) that every node sees, because the same script that numbers an event
/// publishes it. Events are written in <see cref="ChatEventCodec"/>'s layout (U+001F between
/// fields), stamped with Redis's clock so that nodes whose clocks differ agree. The keys, all
/// under <see cref="Prefix"/>, are listed in docs/scale-out.md:
/// <list type="bullet">
/// <item><c>nick:SKELETON</c>: string <c>OWNER␟NICK</c>, the name's claim (OWNER is <c>NODE/MEMBER</c>).</item>
/// <item><c>node:NODE</c>: hash SKELETON → <c>NICK␟ROOMKEY</c>, the members a node serves.</item>
/// <item><c>nodes</c>: sorted set NODE → its last heartbeat (Unix ms).</item>
/// <item><c>rooms</c>: hash ROOMKEY → room name as first spelled.</item>
/// <item><c>room:ROOMKEY:members</c>: hash SKELETON → NICK.</item>
/// <item><c>room:ROOMKEY:seq</c>, <c>room:ROOMKEY:talk</c>: the room's event and line counters.</item>
/// <item><c>room:ROOMKEY:history</c>: stream of the room's last lines (talk and actions), id <c>SEQ-0</c>, field <c>e</c> (the event), about as long as <c>--history</c>.</item>
/// <item><c>room:ROOMKEY:log</c>: stream of the room's last 1,000 (or a few more) events of every kind, id <c>SEQ-0</c>, fields <c>n</c> (line number, 0 if not a line), <c>o</c> (the speaker's owner id) and <c>e</c> (the event).</item>
/// <item><c>epoch</c>: Redis's time (Unix ms) when the keys were first made; a later value means Redis lost them.</item>
/// </list>
/// Every node hears every event on one channel, <c>events</c>, so Redis sends a line once per
/// node, not once per member. A message there is fields separated by U+001E: a room event
/// <c>r␞EPOCH␞ROOMKEY␞SEQ␞N␞ORIGIN␞EVENT</c> (EPOCH that of the keys that numbered it, so a node
/// can tell a new order after Redis lost its data from repeats of the old; N the line number for
/// talk, 0 otherwise; ORIGIN the speaker's owner id, whose own line is not echoed), or a private
/// message <c>p␞SKELETON␞EVENT</c>.
/// </summary>
internal static class RedisScripts
{
    public const string Prefix = "switchboard:";
    public const string EventsChannel = Prefix + "events";

    // Shared by every script: the clock, the event layout, a room event. Each script takes only
    // what it needs: a line's script is the one run per line, and every function defined costs.
    private const string Prelude = """
        local P = 'switchboard:'
        local US = '\31'
        local RS = '\30'
        local LOG_LENGTH = 1000
        local function now_ms()
          local t = redis.call('TIME')
          return t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
        end
        local function split(v)
          local i = string.find(v, US, 1, true)
          return string.sub(v, 1, i - 1), string.sub(v, i + 1)
        end
        local function epoch()
          local e = redis.call('GET', P .. 'epoch')
          if not e then
            e = now_ms()
            redis.call('SET', P .. 'epoch', e)
          end
          return e
        end
        local function ev(kind, count, nick, room, other, text)
          return table.concat({kind, now_ms(), count, nick, room, other, '', '', '', text}, US)
        end
        -- Every room event goes to the room's log (what a node that was away catches up on); a
        -- line (keep) also to its history (what a newcomer is shown), unless history is off.
        local function room_event(rk, kind, count, nick, room, other, text, origin, keep, history)
          local seq = redis.call('INCR', P .. 'room:' .. rk .. ':seq')
          local e = ev(kind, count, nick, room, other, text)
          local n = 0
          if keep then
            n = redis.call('INCR', P .. 'room:' .. rk .. ':talk')
            if history > 0 then
              redis.call('XADD', P .. 'room:' .. rk .. ':history', 'MAXLEN', '~', history, seq .. '-0', 'e', e)
            end
          end
          redis.call('XADD', P .. 'room:' .. rk .. ':log', 'MAXLEN', '~', LOG_LENGTH, seq .. '-0', 'n', n, 'o', origin, 'e', e)
          redis.call('PUBLISH', P .. 'events', table.concat({'r', epoch(), rk, seq, n, origin, e}, RS))
          return seq, e
        end
        local function room_name(rk)
          return redis.call('HGET', P .. 'rooms', rk) or rk
        end

        """;

    // What changes membership: joining, leaving, releasing a name, reaping a node.
    private const string Membership = Prelude + """
        -- Reply: {'joined', SEQ, ROOM, TALK, JOIN EVENT, HISTORY EVENT...}; the join event goes to
        -- the joiner in the reply, in order with its answers, and to everyone else on the channel.
        local function join(node, skel, nick, rk, name, want, owner)
          redis.call('HSET', P .. 'room:' .. rk .. ':members', skel, nick)
          if redis.call('HSETNX', P .. 'rooms', rk, name) == 0 then
            name = redis.call('HGET', P .. 'rooms', rk)
          end
          redis.call('HSET', P .. 'node:' .. node, skel, nick .. US .. rk)
          local count = redis.call('HLEN', P .. 'room:' .. rk .. ':members')
          local talk = tonumber(redis.call('GET', P .. 'room:' .. rk .. ':talk') or '0')
          local reply = {'joined', 0, name, talk, ''}
          if want > 0 then
            local past = redis.call('XREVRANGE', P .. 'room:' .. rk .. ':history', '+', '-', 'COUNT', want)
            for i = #past, 1, -1 do
              local fields = past[i][2]
              for j = 1, #fields, 2 do
                if fields[j] == 'e' then table.insert(reply, fields[j + 1]) end
              end
            end
          end
          reply[2], reply[5] = room_event(rk, 4, count, nick, name, '', '', owner, false, 0)
          return reply
        end
        local function leave_room(skel, nick, rk, kind, text, origin)
          if rk == '' or redis.call('HDEL', P .. 'room:' .. rk .. ':members', skel) == 0 then return end
          local name = room_name(rk)
          if kind > 0 then room_event(rk, kind, 0, nick, name, '', text, origin, false, 0) end
          if rk ~= 'lobby' and redis.call('HLEN', P .. 'room:' .. rk .. ':members') == 0 then
            redis.call('HDEL', P .. 'rooms', rk)
          end
        end
        -- Whether the name's claim, if any, starts with owner_prefix: a member whose name went to
        -- someone else (Redis forgot it, and another took it) must not take that one's place away.
        local function owns(skel, owner_prefix)
          local claim = redis.call('GET', P .. 'nick:' .. skel)
          return not claim or string.sub(claim, 1, #owner_prefix) == owner_prefix, claim
        end
        local function release(skel, nick, rk, kind, text, owner_prefix)
          local mine, claim = owns(skel, owner_prefix)
          if not mine then return false end
          leave_room(skel, nick, rk, kind, text, '')
          if claim then redis.call('DEL', P .. 'nick:' .. skel) end
          return true
        end
        local function reap(node, kind)
          local members = redis.call('HGETALL', P .. 'node:' .. node)
          for i = 1, #members, 2 do
            local nick, rk = split(members[i + 1])
            release(members[i], nick, rk, kind, '', node .. '/')
          end
          redis.call('DEL', P .. 'node:' .. node)
          redis.call('ZREM', P .. 'nodes', node)
          return #members / 2
        end

        """;

    /// <summary>
    /// ARGV: node, owner, skeleton, nick, old skeleton ('' for a first name), old nick, room key,
    /// history wanted. Reply: <c>{'taken', HOLDER}</c>; for a first name, <c>join</c>'s reply (the
    /// member now in the lobby); else <c>{'renamed', EVENT}</c>, the event also published to the room.
    /// </summary>
    public const string Nick = Membership + """
        local node, owner, skel, nick, oldskel, oldnick, rk, want = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8])
        epoch()
        local claim = redis.call('GET', P .. 'nick:' .. skel)
        if claim then
          local holder_owner, holder = split(claim)
          if holder_owner ~= owner then return {'taken', holder} end
        end
        redis.call('SET', P .. 'nick:' .. skel, owner .. US .. nick)
        if oldskel == '' then
          return join(node, skel, nick, 'lobby', 'lobby', want, owner)
        end
        if oldskel ~= skel then
          if owns(oldskel, owner .. US) then redis.call('DEL', P .. 'nick:' .. oldskel) end
          redis.call('HDEL', P .. 'node:' .. node, oldskel)
          redis.call('HDEL', P .. 'room:' .. rk .. ':members', oldskel)
        end
        redis.call('HSET', P .. 'room:' .. rk .. ':members', skel, nick)
        redis.call('HSET', P .. 'node:' .. node, skel, nick .. US .. rk)
        local _, e = room_event(rk, 6, 0, oldnick, room_name(rk), nick, '', owner, false, 0)
        return {'renamed', e}
        """;

    /// <summary>ARGV: node, skeleton, nick, old room key, new room key, room name, history wanted, owner. Reply: <c>join</c>'s.</summary>
    public const string Join = Membership + """
        local node, skel, nick, oldrk, rk, name, want, owner = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8]
        leave_room(skel, nick, oldrk, 5, '', '')
        return join(node, skel, nick, rk, name, want, owner)
        """;

    /// <summary>
    /// ARGV: room key, kind, skeleton, nick, text, origin, history length. Reply: the line's seq, or 0
    /// if the member is not in the room as far as Redis knows (it lost this node's state).
    /// </summary>
    public const string Say = Prelude + """
        local rk, kind, skel, nick, text, origin, history = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
        if redis.call('HGET', P .. 'room:' .. rk .. ':members', skel) ~= nick then return 0 end
        return room_event(rk, kind, 0, nick, room_name(rk), '', text, origin, true, history)
        """;

    /// <summary>ARGV: recipient's skeleton, recipient's nick as typed (any case), sender's nick, text. Reply: the recipient's nick as they spell it if sent, empty if no one has that name.</summary>
    public const string Whisper = Prelude + """
        local skel, to, from, text = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
        local claim = redis.call('GET', P .. 'nick:' .. skel)
        if not claim then return '' end
        local _, holder = split(claim)
        if string.lower(holder) ~= string.lower(to) then return '' end
        redis.call('PUBLISH', P .. 'events', table.concat({'p', skel, ev(3, 0, from, '', '', text)}, RS))
        return holder
        """;

    /// <summary>ARGV: node, skeleton, nick, room key, kind told to the room (0: none), quit message, owner.</summary>
    public const string Leave = Membership + """
        local node, skel, nick, rk, kind, text, owner = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6], ARGV[7]
        if release(skel, nick, rk, kind, text, owner .. US) then
          redis.call('HDEL', P .. 'node:' .. node, skel)
        end
        return 1
        """;

    /// <summary>Reply: the rooms and their sizes, flattened (<c>NAME, SIZE, ...</c>), the lobby always among them.</summary>
    public const string Rooms = Prelude + """
        redis.call('HSETNX', P .. 'rooms', 'lobby', 'lobby')
        local rooms = redis.call('HGETALL', P .. 'rooms')
        local reply = {}
        for i = 1, #rooms, 2 do
          table.insert(reply, rooms[i + 1])
          table.insert(reply, redis.call('HLEN', P .. 'room:' .. rooms[i] .. ':members'))
        end
        return reply
        """;

    /// <summary>
    /// ARGV: node, dead after (ms), kind the rooms are told of a dead node's members. Marks this
    /// node alive and reaps every node silent for longer than the bound. Reply: <c>{KNOWN, EPOCH,
    /// REAPED}</c>, KNOWN 0 if this node was not registered (reaped, or Redis lost its keys).
    /// </summary>
    public const string Heartbeat = Membership + """
        local node, dead_after, kind = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
        local now = tonumber(now_ms())
        local last = redis.call('ZSCORE', P .. 'nodes', node)
        local known = last and 1 or 0
        redis.call('ZADD', P .. 'nodes', now, node)
        local reaped = 0
        -- A node whose own last beat is older than the bound was cut off itself (Redis was away,
        -- or paused): the others may be alive and about to beat, so it reaps no one this time.
        if last and now - tonumber(last) <= dead_after then
          local stale = redis.call('ZRANGEBYSCORE', P .. 'nodes', '-inf', now - dead_after)
          for _, other in ipairs(stale) do
            if other ~= node then reaped = reaped + reap(other, kind) end
          end
        end
        return {known, epoch(), reaped}
        """;

    /// <summary>
    /// ARGV: node, then for each member this node serves: skeleton, nick, owner, room key, room
    /// name. Puts them back as this node has them: after Redis lost them (restarted empty, or
    /// reaped this node during a long pause), or after a call whose answer was lost (a member
    /// Redis has in another room leaves it). Claims each name only if no one else took it
    /// meanwhile. Reply: the skeletons whose names were taken.
    /// </summary>
    public const string Register = Membership + """
        local node = ARGV[1]
        epoch()
        redis.call('ZADD', P .. 'nodes', tonumber(now_ms()), node)
        local lost = {}
        for i = 2, #ARGV, 5 do
          local skel, nick, owner, rk, name = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
          local claim = redis.call('GET', P .. 'nick:' .. skel)
          if claim and split(claim) ~= owner then
            table.insert(lost, skel)
          else
            -- Where Redis last had them, if not where this node has them (a join whose answer was lost).
            local was = redis.call('HGET', P .. 'node:' .. node, skel)
            if was then
              local _, wasrk = split(was)
              if wasrk ~= rk then leave_room(skel, nick, wasrk, 5, '', '') end
            end
            redis.call('SET', P .. 'nick:' .. skel, owner .. US .. nick)
            redis.call('HSET', P .. 'node:' .. node, skel, nick .. US .. rk)
            redis.call('HSET', P .. 'room:' .. rk .. ':members', skel, nick)
            redis.call('HSETNX', P .. 'rooms', rk, name)
          end
        end
        return lost
        """;

    /// <summary>ARGV: node, kind. This node leaves: its remaining members leave their rooms and free their names.</summary>
    public const string Depart = Membership + """
        return reap(ARGV[1], tonumber(ARGV[2]))
        """;

}
