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
/// <item><c>node:NODE</c>: hash SKELETON → <c>NICK␟ROOMKEY,ROOMKEY...</c>, the members a node serves and their rooms (an IRC member's may be none or several).</item>
/// <item><c>nodes</c>: sorted set NODE → its last heartbeat (Unix ms).</item>
/// <item><c>rooms</c>: hash ROOMKEY → room name as first spelled.</item>
/// <item><c>room:ROOMKEY:members</c>: hash SKELETON → NICK.</item>
/// <item><c>room:ROOMKEY:seq</c>, <c>room:ROOMKEY:talk</c>: the room's event and line counters.</item>
/// <item><c>room:ROOMKEY:history</c>: stream of the room's last lines (talk and actions), id <c>SEQ-0</c>, field <c>e</c> (the event), about as long as <c>--history</c>.</item>
/// <item><c>room:ROOMKEY:log</c>: stream of the room's last 1,000 (or a few more) events of every kind, id <c>SEQ-0</c>, fields <c>n</c> (line number, 0 if not a line), <c>o</c> (the speaker's owner id), <c>e</c> (the event) and, for an event told in several rooms at once, <c>x</c> (its shared id).</item>
/// <item><c>room:ROOMKEY:topic</c>: hash <c>text</c>, <c>by</c>, <c>at</c> (Unix ms): the room's topic, gone with the room.</item>
/// <item><c>away</c>: hash OWNER → the member's away message.</item>
/// <item><c>shared</c>: the counter that numbers events told in several rooms at once (a rename, a quit).</item>
/// <item><c>epoch</c>: Redis's time (Unix ms) when the keys were first made; a later value means Redis lost them.</item>
/// </list>
/// Every node hears every event on one channel, <c>events</c>, so Redis sends a line once per
/// node, not once per member. A message there is fields separated by U+001E: a room event
/// <c>r␞EPOCH␞ROOMKEY␞SEQ␞N␞ORIGIN␞EVENT[␞SHARED]</c> (EPOCH that of the keys that numbered it, so a node
/// can tell a new order after Redis lost its data from repeats of the old; N the line number for
/// talk, 0 otherwise; ORIGIN the speaker's owner id, whose own line is not echoed; SHARED, for a
/// rename or a quit told in each of the member's rooms, one id for all its copies, so that a member
/// who shares several of those rooms hears it once), or a private message <c>p␞SKELETON␞EVENT</c>.
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
        local function ev(kind, count, nick, room, other, text, flags)
          return table.concat({kind, now_ms(), count, nick, room, other, '', '', flags or '', text}, US)
        end
        -- Every room event goes to the room's log (what a node that was away catches up on); a
        -- line (keep) also to its history (what a newcomer is shown), unless history is off.
        -- shared: one id for the copies of an event told in several rooms ('' for none).
        local function room_event(rk, kind, count, nick, room, other, text, origin, keep, history, flags, shared)
          local seq = redis.call('INCR', P .. 'room:' .. rk .. ':seq')
          local e = ev(kind, count, nick, room, other, text, flags)
          local n = 0
          if keep then
            n = redis.call('INCR', P .. 'room:' .. rk .. ':talk')
            if history > 0 then
              redis.call('XADD', P .. 'room:' .. rk .. ':history', 'MAXLEN', '~', history, seq .. '-0', 'e', e)
            end
          end
          local message = {'r', epoch(), rk, seq, n, origin, e}
          if shared and shared ~= '' then
            redis.call('XADD', P .. 'room:' .. rk .. ':log', 'MAXLEN', '~', LOG_LENGTH, seq .. '-0', 'n', n, 'o', origin, 'e', e, 'x', shared)
            table.insert(message, shared)
          else
            redis.call('XADD', P .. 'room:' .. rk .. ':log', 'MAXLEN', '~', LOG_LENGTH, seq .. '-0', 'n', n, 'o', origin, 'e', e)
          end
          redis.call('PUBLISH', P .. 'events', table.concat(message, RS))
          return seq, e
        end
        local function room_name(rk)
          return redis.call('HGET', P .. 'rooms', rk) or rk
        end
        local function list(s)
          local t = {}
          for item in string.gmatch(s, '[^,]+') do table.insert(t, item) end
          return t
        end

        """;

    // What changes membership: joining, leaving, releasing a name, reaping a node.
    private const string Membership = Prelude + """
        local function has(t, v)
          for _, x in ipairs(t) do
            if x == v then return true end
          end
          return false
        end
        local function without(t, v)
          local r = {}
          for _, x in ipairs(t) do
            if x ~= v then table.insert(r, x) end
          end
          return r
        end
        -- The member's nick and rooms as Redis has them for a node (nil and none if it has not).
        local function member_of(node, skel)
          local v = redis.call('HGET', P .. 'node:' .. node, skel)
          if not v then return nil, {} end
          local nick, rks = split(v)
          return nick, list(rks)
        end
        local function set_member(node, skel, nick, rks)
          redis.call('HSET', P .. 'node:' .. node, skel, nick .. US .. table.concat(rks, ','))
        end
        -- One id for an event told in several rooms, so a member in two of them hears it once.
        local function shared_id(rooms)
          if rooms < 2 then return '' end
          return tostring(redis.call('INCR', P .. 'shared'))
        end
        -- Reply: {'joined', SEQ, ROOM, TALK, JOIN EVENT, HISTORY EVENT...}; the join event goes to
        -- the joiner in the reply, in order with its answers, and to everyone else on the channel.
        local function join(node, skel, nick, rk, name, want, owner)
          redis.call('HSET', P .. 'room:' .. rk .. ':members', skel, nick)
          if redis.call('HSETNX', P .. 'rooms', rk, name) == 0 then
            name = redis.call('HGET', P .. 'rooms', rk)
          end
          local _, rks = member_of(node, skel)
          rks = without(rks, rk)
          table.insert(rks, rk)
          set_member(node, skel, nick, rks)
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
          reply[2], reply[5] = room_event(rk, 4, count, nick, name, '', '', owner, false, 0, '', '')
          return reply
        end
        -- Takes the member out of the room, telling it (kind > 0); the room, and its topic, go with
        -- its last member (but the lobby's). Returns the event's seq and the event (0, '' if none).
        local function leave_room(skel, nick, rk, kind, text, origin, shared)
          if rk == '' or redis.call('HDEL', P .. 'room:' .. rk .. ':members', skel) == 0 then return 0, '' end
          local seq, e = 0, ''
          if kind > 0 then seq, e = room_event(rk, kind, 0, nick, room_name(rk), '', text, origin, false, 0, '', shared) end
          if rk ~= 'lobby' and redis.call('HLEN', P .. 'room:' .. rk .. ':members') == 0 then
            redis.call('HDEL', P .. 'rooms', rk)
            redis.call('DEL', P .. 'room:' .. rk .. ':topic')
          end
          return seq, e
        end
        -- Whether the name's claim, if any, starts with owner_prefix: a member whose name went to
        -- someone else (Redis forgot it, and another took it) must not take that one's place away.
        local function owns(skel, owner_prefix)
          local claim = redis.call('GET', P .. 'nick:' .. skel)
          return not claim or string.sub(claim, 1, #owner_prefix) == owner_prefix, claim
        end
        -- Frees the name and takes the member out of every room Redis has them in (and of rks,
        -- the rooms their node has them in), each room told once with one shared id. The member's
        -- entries of their own (their away message, under owner if given; their node's entry) go
        -- whether or not the name is still theirs.
        local function release(node, skel, nick, rks, kind, text, owner_prefix, owner)
          if owner then redis.call('HDEL', P .. 'away', owner) end
          local mine, claim = owns(skel, owner_prefix)
          if mine then
            local _, had = member_of(node, skel)
            for _, rk in ipairs(rks) do
              if not has(had, rk) then table.insert(had, rk) end
            end
            local shared = shared_id(#had)
            for _, rk in ipairs(had) do leave_room(skel, nick, rk, kind, text, '', shared) end
            if claim then
              redis.call('DEL', P .. 'nick:' .. skel)
              redis.call('HDEL', P .. 'away', (split(claim)))
            end
          end
          redis.call('HDEL', P .. 'node:' .. node, skel)
          return mine
        end
        local function reap(node, kind)
          local members = redis.call('HGETALL', P .. 'node:' .. node)
          for i = 1, #members, 2 do
            local nick = split(members[i + 1])
            release(node, members[i], nick, {}, kind, '', node .. '/')
          end
          -- Away messages of the node's members, whatever became of their names.
          local prefix = node .. '/'
          for _, owner in ipairs(redis.call('HKEYS', P .. 'away')) do
            if string.sub(owner, 1, #prefix) == prefix then redis.call('HDEL', P .. 'away', owner) end
          end
          redis.call('DEL', P .. 'node:' .. node)
          redis.call('ZREM', P .. 'nodes', node)
          return #members / 2
        end

        """;

    /// <summary>
    /// ARGV: node, owner, skeleton, nick, old skeleton ('' for a first name), old nick, the
    /// member's room keys (comma-separated), history wanted, '1' if a first name puts the member
    /// in the lobby (a one-room member). Reply: <c>{'taken', HOLDER}</c>; for a first name,
    /// <c>join</c>'s reply (the member now in the lobby) or <c>{'named'}</c> (in no room); else
    /// <c>{'renamed', EVENT}</c>, the event also published to each of the member's rooms, one shared id for all.
    /// </summary>
    public const string Nick = Membership + """
        local node, owner, skel, nick, oldskel, oldnick, rks, want, lobby = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], list(ARGV[7]), tonumber(ARGV[8]), ARGV[9]
        epoch()
        local claim = redis.call('GET', P .. 'nick:' .. skel)
        if claim then
          local holder_owner, holder = split(claim)
          if holder_owner ~= owner then return {'taken', holder} end
        end
        redis.call('SET', P .. 'nick:' .. skel, owner .. US .. nick)
        if oldskel == '' then
          if lobby == '1' then return join(node, skel, nick, 'lobby', 'lobby', want, owner) end
          set_member(node, skel, nick, {})
          return {'named'}
        end
        if oldskel ~= skel then
          if owns(oldskel, owner .. US) then redis.call('DEL', P .. 'nick:' .. oldskel) end
          redis.call('HDEL', P .. 'node:' .. node, oldskel)
        end
        set_member(node, skel, nick, rks)
        local shared = shared_id(#rks)
        local told
        for _, rk in ipairs(rks) do
          if oldskel ~= skel then redis.call('HDEL', P .. 'room:' .. rk .. ':members', oldskel) end
          redis.call('HSET', P .. 'room:' .. rk .. ':members', skel, nick)
          local _, e = room_event(rk, 6, 0, oldnick, room_name(rk), nick, '', owner, false, 0, '', shared)
          told = told or e
        end
        return {'renamed', told or ev(6, 0, oldnick, '', nick, '', '')}
        """;

    /// <summary>
    /// ARGV: node, skeleton, nick, old room key ('' to keep every room: a member of several),
    /// new room key, room name, history wanted, owner. Reply: <c>join</c>'s.
    /// </summary>
    public const string Join = Membership + """
        local node, skel, nick, oldrk, rk, name, want, owner = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8]
        if oldrk ~= '' then
          leave_room(skel, nick, oldrk, 5, '', '', '')
          local _, rks = member_of(node, skel)
          set_member(node, skel, nick, without(rks, oldrk))
        end
        return join(node, skel, nick, rk, name, want, owner)
        """;

    /// <summary>
    /// ARGV: node, skeleton, nick, room key, parting message, owner. A member of several rooms
    /// leaves one. Reply: <c>{SEQ, EVENT}</c>, the part's place in the room's order and the event
    /// (also published, ORIGIN the owner), or <c>{0, ''}</c> if Redis did not have them there.
    /// </summary>
    public const string Part = Membership + """
        local node, skel, nick, rk, text, owner = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
        local seq, e = leave_room(skel, nick, rk, 5, text, owner, '')
        local _, rks = member_of(node, skel)
        set_member(node, skel, nick, without(rks, rk))
        return {seq, e}
        """;

    /// <summary>
    /// ARGV: room key, kind, skeleton, nick, text, origin, history length, flags (<c>n</c> for a
    /// notice). Reply: the line's seq, or 0 if the member is not in the room as far as Redis knows
    /// (it lost this node's state).
    /// </summary>
    public const string Say = Prelude + """
        local rk, kind, skel, nick, text, origin, history = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
        if redis.call('HGET', P .. 'room:' .. rk .. ':members', skel) ~= nick then return 0 end
        return room_event(rk, kind, 0, nick, room_name(rk), '', text, origin, true, history, ARGV[8], '')
        """;

    /// <summary>
    /// ARGV: recipient's skeleton, recipient's nick as typed (any case), sender's nick, text, flags
    /// (<c>n</c> for a notice). Reply: <c>{HOLDER, AWAY}</c>: the recipient's nick as they spell it
    /// if sent, empty if no one has that name; their away message, or empty.
    /// </summary>
    public const string Whisper = Prelude + """
        local skel, to, from, text, flags = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
        local claim = redis.call('GET', P .. 'nick:' .. skel)
        if not claim then return {'', ''} end
        local owner, holder = split(claim)
        if string.lower(holder) ~= string.lower(to) then return {'', ''} end
        redis.call('PUBLISH', P .. 'events', table.concat({'p', skel, ev(3, 0, from, '', '', text, flags)}, RS))
        return {holder, redis.call('HGET', P .. 'away', owner) or ''}
        """;

    /// <summary>ARGV: node, skeleton, nick, room keys (comma-separated), kind told to the rooms (0: none), quit message, owner.</summary>
    public const string Leave = Membership + """
        local node, skel, nick, rks, kind, text, owner = ARGV[1], ARGV[2], ARGV[3], list(ARGV[4]), tonumber(ARGV[5]), ARGV[6], ARGV[7]
        release(node, skel, nick, rks, kind, text, owner .. US, owner)
        return 1
        """;

    /// <summary>
    /// ARGV: room key, skeleton, nick, topic, owner. Sets the topic of a room the member is in and
    /// tells the room (ORIGIN the owner). Reply: <c>{SEQ, EVENT}</c>, or <c>{0, ''}</c> if Redis
    /// does not have the member in the room.
    /// </summary>
    public const string SetTopic = Prelude + """
        local rk, skel, nick, text, owner = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
        if redis.call('HGET', P .. 'room:' .. rk .. ':members', skel) ~= nick then return {0, ''} end
        local seq, e = room_event(rk, 12, 0, nick, room_name(rk), '', text, owner, false, 0, '', '')
        local at = string.match(e, '^%d+' .. US .. '(%d+)')
        redis.call('HSET', P .. 'room:' .. rk .. ':topic', 'text', text, 'by', nick, 'at', at)
        return {seq, e}
        """;

    /// <summary>ARGV: room key. Reply: <c>{NAME, TEXT, BY, AT}</c>, NAME empty if the room does not exist, TEXT empty if it has no topic.</summary>
    public const string GetTopic = """
        local rk = ARGV[1]
        local t = redis.call('HMGET', 'switchboard:room:' .. rk .. ':topic', 'text', 'by', 'at')
        return {redis.call('HGET', 'switchboard:rooms', rk) or '', t[1] or '', t[2] or '', t[3] or '0'}
        """;

    /// <summary>ARGV: room key. Reply: <c>{NAME, NICK...}</c>, NAME empty if the room does not exist.</summary>
    public const string Who = """
        local rk = ARGV[1]
        local reply = {redis.call('HGET', 'switchboard:rooms', rk) or ''}
        for _, nick in ipairs(redis.call('HVALS', 'switchboard:room:' .. rk .. ':members')) do
          table.insert(reply, nick)
        end
        return reply
        """;

    /// <summary>
    /// ARGV: skeleton, nick as typed (any case). Reply: <c>{}</c> if no one has that name, else
    /// <c>{NICK, AWAY, ROOM...}</c>: the name as its holder spells it, their away message (or
    /// empty), and the names of their rooms, wherever their node is.
    /// </summary>
    public const string Whois = Membership + """
        local skel, to = ARGV[1], ARGV[2]
        local claim = redis.call('GET', P .. 'nick:' .. skel)
        if not claim then return {} end
        local owner, holder = split(claim)
        if string.lower(holder) ~= string.lower(to) then return {} end
        local node = string.match(owner, '^(.*)/[^/]*$') or owner
        local _, rks = member_of(node, skel)
        local reply = {holder, redis.call('HGET', P .. 'away', owner) or ''}
        for _, rk in ipairs(rks) do table.insert(reply, room_name(rk)) end
        return reply
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
    /// ARGV: node, the skeletons whose state a call of the node is changing now (comma-separated:
    /// left to that call), then for each member this node serves: skeleton, nick, owner, room keys and
    /// room names (each comma-separated, in the same order), away message, and the keys of the
    /// rooms they are parting (their part under way: neither put back nor told). Puts them back as
    /// this node has them: after Redis lost them (restarted empty, or reaped this node during a
    /// long pause), or after a call whose answer was lost (a member Redis has in a room this node
    /// does not leaves it). Claims each name only if no one else took it meanwhile. A member Redis
    /// has on this node that is not passed (one who left, or renamed, while the resync was under
    /// way) is taken out of its rooms silently, and its name freed if still this node's: the
    /// node, which asks again after a change it did not pass, puts back any it still has. Reply:
    /// the skeletons whose names were taken.
    /// </summary>
    public const string Register = Membership + """
        local node = ARGV[1]
        epoch()
        redis.call('ZADD', P .. 'nodes', tonumber(now_ms()), node)
        local lost = {}
        local passed = {}
        for _, skel in ipairs(list(ARGV[2])) do passed[skel] = true end
        for i = 3, #ARGV, 7 do
          local skel, nick, owner, rks, names, away, parting = ARGV[i], ARGV[i + 1], ARGV[i + 2], list(ARGV[i + 3]), list(ARGV[i + 4]), ARGV[i + 5], list(ARGV[i + 6])
          passed[skel] = true
          local claim = redis.call('GET', P .. 'nick:' .. skel)
          if claim and split(claim) ~= owner then
            table.insert(lost, skel)
          else
            -- Where Redis last had them, if not where this node has them (a join whose answer was lost).
            local _, was = member_of(node, skel)
            for _, wasrk in ipairs(was) do
              if not has(rks, wasrk) and not has(parting, wasrk) then leave_room(skel, nick, wasrk, 5, '', '', '') end
            end
            redis.call('SET', P .. 'nick:' .. skel, owner .. US .. nick)
            set_member(node, skel, nick, rks)
            for j, rk in ipairs(rks) do
              redis.call('HSET', P .. 'room:' .. rk .. ':members', skel, nick)
              redis.call('HSETNX', P .. 'rooms', rk, names[j] or rk)
            end
            if away == '' then
              redis.call('HDEL', P .. 'away', owner)
            else
              redis.call('HSET', P .. 'away', owner, away)
            end
          end
        end
        local members = redis.call('HGETALL', P .. 'node:' .. node)
        for i = 1, #members, 2 do
          local skel = members[i]
          if not passed[skel] then
            local nick, rks = split(members[i + 1])
            local mine, claim = owns(skel, node .. '/')
            if mine then
              for _, rk in ipairs(list(rks)) do leave_room(skel, nick, rk, 0, '', '', '') end
              if claim then
                redis.call('DEL', P .. 'nick:' .. skel)
                redis.call('HDEL', P .. 'away', (split(claim)))
              end
            end
            redis.call('HDEL', P .. 'node:' .. node, skel)
          end
        end
        return lost
        """;

    /// <summary>
    /// ARGV: owner, skeleton, away message (empty: back). Sets or clears the member's away
    /// message, but stores one only while the name's claim is theirs (else a resync, which puts
    /// the claim back, puts it back with it). Reply: 1.
    /// </summary>
    public const string Away = Prelude + """
        local owner, skel, away = ARGV[1], ARGV[2], ARGV[3]
        local claim = redis.call('GET', P .. 'nick:' .. skel)
        if away ~= '' and claim and split(claim) == owner then
          redis.call('HSET', P .. 'away', owner, away)
        else
          redis.call('HDEL', P .. 'away', owner)
        end
        return 1
        """;

    /// <summary>ARGV: node, kind. This node leaves: its remaining members leave their rooms and free their names.</summary>
    public const string Depart = Membership + """
        return reap(ARGV[1], tonumber(ARGV[2]))
        """;
}
