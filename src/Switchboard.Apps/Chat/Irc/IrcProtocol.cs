using System.Globalization;
using System.Text.RegularExpressions;
using Switchboard.Protocols;

namespace Switchboard.Apps.Chat.Irc;

/// <summary>
/// One IRC connection (docs/irc.md): registration (<c>CAP</c>, <c>NICK</c>, <c>USER</c>,
/// <c>PASS</c>), then the commands clients use, over the same <see cref="IChatHub"/> as the line
/// protocol, so IRC and line users share names and rooms. Like <see cref="ChatProtocol"/>, it
/// paces floods and cleans text, and answers through the hub (<see cref="IChatHub.Tell"/>), so a
/// client reads its answers in the order of its lines. A client silent for
/// <see cref="ChatOptions.PingInterval"/> is sent a <c>PING</c>; silent as long again, it is
/// disconnected.
/// </summary>
public sealed partial class IrcProtocol : LineProtocol
{
    /// <summary>The longest topic, in UTF-8 bytes (<c>TOPICLEN</c>): a longer one is cut there, so that every line carrying it stays within 512.</summary>
    public const int TopicLength = 300;

    /// <summary>IRC's own limit: 512 bytes a line with its <c>\r\n</c>.</summary>
    public const int MaxIrcLineLength = 510;

    private const string Server = IrcChatFormat.ServerName;

    /// <summary>The capabilities offered (IRCv3); <c>server-time</c>'s tag is sent on replayed history only.</summary>
    private static readonly string[] Capabilities = ["echo-message", "server-time"];

    private readonly IChatHub _hub;
    private readonly LiveChatOptions _live;
    private readonly TimeProvider _clock;
    private IrcMember? _member;
    private PacedLines? _paced;
    private IDisposable? _registerTimer;
    private IDisposable? _pingTimer;
    private string? _wantedNick;
    private bool _userGiven;
    private bool _negotiating;
    private bool _heard;
    private bool _pinged;
    private bool _left;

    /// <summary>Creates the protocol for one IRC connection.</summary>
    /// <param name="hub">The shared state, the same hub as the line protocol's.</param>
    /// <param name="options">Limits, history and the ping interval.</param>
    /// <param name="clock">For flood control; the system clock by default.</param>
    public IrcProtocol(IChatHub hub, ChatOptions options, TimeProvider? clock = null)
        : this(hub, new LiveChatOptions(options ?? throw new ArgumentNullException(nameof(options))), clock)
    {
    }

    /// <summary>Creates the protocol for one connection of a server whose settings a reload may change.</summary>
    internal IrcProtocol(IChatHub hub, LiveChatOptions options, TimeProvider? clock)
    {
        ArgumentNullException.ThrowIfNull(hub);
        _hub = hub;
        _live = options;
        _clock = clock ?? TimeProvider.System;
    }

    /// <inheritdoc />
    protected override int MaxLineLength => Math.Min(MaxIrcLineLength, base.MaxLineLength);

    private IrcMember Member => _member ??= new IrcMember(Connection);

    private PacedLines Paced => _paced ??= new PacedLines(_live, _clock, Connection, HandleInTurn, Overflowed);

    private bool Registered => Member.Nick is not null;

    /// <summary>
    /// How this member is addressed in numerics: their nick; the one asked for while the hub has
    /// not yet answered (a remote hub answers later); <c>*</c> before that.
    /// </summary>
    private string Me => Member.Nick ?? (Member.AwaitingName ? _wantedNick : null) ?? "*";

    /// <inheritdoc />
    public override void OnConnected()
    {
        if (_live.Current.RegisterTimeout > TimeSpan.Zero)
            _registerTimer = Connection.Schedule(_live.Current.RegisterTimeout, RegisterDeadline);
        if (_live.Current.PingInterval > TimeSpan.Zero)
            _pingTimer = Connection.Schedule(_live.Current.PingInterval, PingCheck);
    }

    /// <inheritdoc />
    public override void OnShutdown()
    {
        _hub.BeginShutdown();
        Member.SendLine("ERROR :Closing link: the server is shutting down");
        Leave(Farewell.Silent);
    }

    /// <inheritdoc />
    public override void OnDisconnected(DisconnectReason reason)
    {
        // Lines the client sent before it went, still waiting for their turn, are said: none is lost
        // for having come fast. Not for a slow reader, which the server cut off.
        if (reason is DisconnectReason.RemoteClosed or DisconnectReason.Error && !_left)
            _paced?.FlushAfterClose();
        Leave(reason == DisconnectReason.SlowConsumer ? Farewell.TooSlow : Farewell.Dropped);
    }

    /// <inheritdoc />
    protected override void OnLineTooLong()
    {
        _heard = true;
        if (!_left)
            Paced.OfferTooLong();
    }

    /// <inheritdoc />
    protected override void OnLineReceived(string line)
    {
        _heard = true;
        if (!_left)
            Paced.Offer(line);
    }

    private void HandleInTurn(string? line)
    {
        if (line is null)
            Reply($":{Server} 417 {Me} :Input line was too long (max {MaxIrcLineLength} bytes)");
        else if (!ChatText.IsText(line))
            Reply($":{Server} NOTICE {Me} :not UTF-8 text; dropped");
        else if (line.Trim().Length > 0)
            Handle(IrcMessage.Parse(line));
    }

    private void Overflowed(string reason)
    {
        Reply($"ERROR :Closing link: {reason}");
        Leave(Farewell.Dropped);
    }

    private void Handle(IrcMessage message)
    {
        switch (message.Command)
        {
            case "":
                return; // a prefix or tags alone: nothing to do
            case "CAP":
                Cap(message);
                return;
            case "PASS":
                if (Registered)
                    Reply($":{Server} 462 {Me} :You may not reregister");
                return; // accepted, unused: no password is configured
            case "NICK":
                Nick(message);
                return;
            case "USER":
                User(message);
                return;
            case "PING":
                Reply($":{Server} PONG {Server} :{message[0]}");
                return;
            case "PONG":
                return; // hearing anything is enough
            case "QUIT":
                Reply($"ERROR :Closing link: {(message[0].Length > 0 ? "Quit: " + Clean(message[0]) : "Quit")}");
                Leave(Farewell.Quit, Clean(message[0]));
                return;
        }

        // Once the nick is asked for, the hub answers: with the command's answer, or, if the nick
        // was refused, that a name comes first (451).
        if (!Registered && !Member.AwaitingName)
        {
            Reply($":{Server} 451 {Me} :You have not registered");
            return;
        }

        switch (message.Command)
        {
            case "JOIN":
                Join(message);
                break;
            case "PART":
                Part(message);
                break;
            case "PRIVMSG" or "NOTICE":
                Privmsg(message, notice: message.Command == "NOTICE");
                break;
            case "NAMES":
                foreach (string channel in message[0].Split(',', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (RoomOf(channel) is { } named)
                        ListNames(named, IrcMember.ListRequest.Names);
                    else
                        Reply($":{Server} 366 {Me} {channel} :End of /NAMES list");
                }

                if (message[0].Length == 0)
                    Reply($":{Server} 366 {Me} * :End of /NAMES list");
                break;
            case "WHO":
                if (RoomOf(message[0]) is { } room)
                    ListNames(room, IrcMember.ListRequest.Who);
                else
                    Reply($":{Server} 315 {Me} {(message[0].Length > 0 ? message[0] : "*")} :End of /WHO list");
                break;
            case "LIST":
                _hub.ListRooms(Member);
                break;
            case "MODE":
                Mode(message);
                break;
            case "AWAY":
                string away = Clean(message[0]);
                _hub.Away(Member, away);
                Reply(away.Length > 0
                    ? $":{Server} 306 {Me} :You have been marked as being away"
                    : $":{Server} 305 {Me} :You are no longer marked as being away");
                break;
            case "TOPIC":
                Topic(message);
                break;
            case "WHOIS":
                // WHOIS [server] nick[,nick]: the last parameter names whom.
                string whom = message.Params.Count > 0 ? message.Params[^1] : "";
                if (whom.Length == 0)
                    Reply($":{Server} 431 {Me} :No nickname given");
                foreach (string nick in whom.Split(',', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (ChatText.IsValidName(nick))
                    {
                        _hub.Whois(Member, nick);
                    }
                    else
                    {
                        Reply($":{Server} 401 {Me} {nick} :No such nick/channel");
                        Reply($":{Server} 318 {Me} {nick} :End of /WHOIS list");
                    }
                }
                break;
            default:
                Reply($":{Server} 421 {Me} {message.Command} :Unknown command");
                break;
        }
    }

    private void Cap(IrcMessage message)
    {
        switch (message[0].ToUpperInvariant())
        {
            case "LS":
                if (!Registered)
                    _negotiating = true;
                Reply($":{Server} CAP {Me} LS :{string.Join(' ', Capabilities)}");
                break;
            case "LIST":
                string[] enabled = [.. Capabilities.Where(c => c == "server-time" ? Member.ServerTime : Member.EchoMessage)];
                Reply($":{Server} CAP {Me} LIST :{string.Join(' ', enabled)}");
                break;
            case "REQ":
                if (!Registered)
                    _negotiating = true;
                string[] wanted = message[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (wanted.Length > 0 && wanted.All(c => Capabilities.Contains(c.TrimStart('-'), StringComparer.Ordinal)))
                {
                    foreach (string cap in wanted)
                    {
                        bool on = !cap.StartsWith('-');
                        if (cap.TrimStart('-') == "server-time")
                            Member.ServerTime = on;
                        else
                            Member.EchoMessage = on;
                    }

                    Reply($":{Server} CAP {Me} ACK :{message[1]}");
                }
                else
                {
                    Reply($":{Server} CAP {Me} NAK :{message[1]}");
                }

                break;
            case "END":
                _negotiating = false;
                TryRegister();
                break;
            default:
                Reply($":{Server} 410 {Me} {message[0]} :Invalid CAP command");
                break;
        }
    }

    private void Nick(IrcMessage message)
    {
        string nick = message[0];
        if (nick.Length == 0)
            Reply($":{Server} 431 {Me} :No nickname given");
        else if (!ChatText.IsValidName(nick))
            Reply($":{Server} 432 {Me} {nick} :Erroneous nickname: use 1-{ChatText.MaxNameLength} ASCII letters, digits, _ or -");
        else if (Registered)
            _hub.Nick(Member, nick);
        else
        {
            _wantedNick = nick;
            TryRegister();
        }
    }

    private void User(IrcMessage message)
    {
        if (Registered || _userGiven)
            Reply($":{Server} 462 {Me} :You may not reregister");
        else if (message.Params.Count < 4)
            Reply($":{Server} 461 {Me} USER :Not enough parameters");
        else
        {
            _userGiven = true;
            TryRegister();
        }
    }

    /// <summary>Once the nick, the user and the end of capability negotiation are in: the hub takes the nick, or says it is taken (and a later NICK tries again).</summary>
    private void TryRegister()
    {
        if (!Registered && _wantedNick is { } nick && _userGiven && !_negotiating)
        {
            Member.AwaitingName = true;
            _hub.Nick(Member, nick);
        }
    }

    private void Join(IrcMessage message)
    {
        if (message[0].Length == 0)
        {
            Reply($":{Server} 461 {Me} JOIN :Not enough parameters");
            return;
        }

        if (message[0] == "0")
        {
            _hub.PartAll(Member);
            return;
        }

        foreach (string channel in message[0].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (RoomOf(channel) is not { } room)
            {
                Reply($":{Server} 403 {Me} {channel} :No such channel (names are # and 1-{ChatText.MaxNameLength} ASCII letters, digits, _ or -)");
                continue;
            }

            _hub.Join(Member, room);
            Member.ExpectTopic(byJoin: true);
            _hub.Topic(Member, room);
            ListNames(room, IrcMember.ListRequest.Names); // the JOIN, its topic, who is there, then the room's history
        }
    }

    private void Part(IrcMessage message)
    {
        if (message[0].Length == 0)
        {
            Reply($":{Server} 461 {Me} PART :Not enough parameters");
            return;
        }

        foreach (string channel in message[0].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (RoomOf(channel) is { } room)
                _hub.Part(Member, room, Clean(message[1]));
            else
                Reply($":{Server} 403 {Me} {channel} :No such channel");
        }
    }

    private void Privmsg(IrcMessage message, bool notice)
    {
        // A NOTICE is never answered with an error (RFC 2812), so that two programs cannot loop.
        if (message[0].Length == 0)
        {
            if (!notice)
                Reply($":{Server} 411 {Me} :No recipient given (PRIVMSG)");
            return;
        }

        string raw = message.Params.Count > 1 ? message[1] : "";
        bool action = raw.StartsWith("\u0001ACTION ", StringComparison.Ordinal);
        if (!action && raw.StartsWith('\u0001'))
            return; // other CTCP (VERSION, PING...) has no meaning here: dropped, as a client ignores unknown CTCP
        string text = Clean(action ? raw["\u0001ACTION ".Length..].TrimEnd('\u0001') : raw);
        if (text.Length == 0)
        {
            if (!notice)
                Reply($":{Server} 412 {Me} :No text to send");
            return;
        }

        foreach (string target in message[0].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (target.StartsWith('#'))
            {
                if (RoomOf(target) is not { } room)
                {
                    if (!notice)
                        Reply($":{Server} 403 {Me} {target} :No such channel");
                }
                else if (action)
                    _hub.Act(Member, text, room);
                else
                    _hub.Say(Member, text, room, notice);
            }
            else if (ChatText.IsValidName(target))
            {
                _hub.Whisper(Member, target, action ? $"* {Me} {text}" : text, notice);
            }
            else if (!notice)
            {
                Reply($":{Server} 401 {Me} {target} :No such nick/channel");
            }
        }
    }

    private void Topic(IrcMessage message)
    {
        if (message[0].Length == 0)
        {
            Reply($":{Server} 461 {Me} TOPIC :Not enough parameters");
        }
        else if (RoomOf(message[0]) is not { } room)
        {
            Reply($":{Server} 403 {Me} {message[0]} :No such channel");
        }
        else if (message.Params.Count == 1)
        {
            Member.ExpectTopic(byJoin: false);
            _hub.Topic(Member, room);
        }
        else
        {
            _hub.Topic(Member, room, Truncated(Clean(message[1]), TopicLength));
        }
    }

    private void Mode(IrcMessage message)
    {
        string target = message[0];
        if (target.Length == 0)
        {
            Reply($":{Server} 461 {Me} MODE :Not enough parameters");
        }
        else if (target.StartsWith('#'))
        {
            // Rooms have no modes to change: no operators, no bans; queries are answered so clients settle.
            if (message.Params.Count == 1)
                Reply($":{Server} 324 {Me} {target} +nt");
            else if (message[1].TrimStart('+') == "b")
                Reply($":{Server} 368 {Me} {target} :End of channel ban list");
            else
                Reply($":{Server} 482 {Me} {target} :Rooms here have no operators; modes cannot be changed");
        }
        else if (string.Equals(target, Me, StringComparison.OrdinalIgnoreCase))
        {
            if (message.Params.Count == 1)
                Reply($":{Server} 221 {Me} +");
            // A change (a client's usual +i at connect) is accepted quietly: there are no user modes to keep.
        }
        else
        {
            Reply($":{Server} 502 {Me} :Can't change mode for other users");
        }
    }

    private void ListNames(string room, IrcMember.ListRequest request)
    {
        Member.Expect(request);
        _hub.ListWho(Member, room);
    }

    /// <summary>The room of <c>#name</c>, or null if that is not a room's name.</summary>
    private static string? RoomOf(string channel) =>
        channel.Length > 1 && channel[0] == '#' && ChatText.IsValidName(channel[1..]) ? channel[1..] : null;

    /// <summary><paramref name="text"/> cut to at most <paramref name="bytes"/> UTF-8 bytes, never inside a character.</summary>
    private static string Truncated(string text, int bytes)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(text) <= bytes)
            return text;
        int end = 0, used = 0;
        while (end < text.Length)
        {
            int width = char.IsHighSurrogate(text[end]) && end + 1 < text.Length ? 2 : 1;
            used += System.Text.Encoding.UTF8.GetByteCount(text.AsSpan(end, width));
            if (used > bytes)
                break;
            end += width;
        }

        return text[..end];
    }

    /// <summary>Text as everyone may see it: IRC's colour codes (with their numbers) and other formatting, controls and invisible characters removed.</summary>
    private static string Clean(string text) => ChatText.Clean(ColourCode().Replace(text, "")).Trim();

    /// <summary>^C with its foreground and background numbers (mIRC colours), or ^D with hex colours.</summary>
    [GeneratedRegex(@"\u0003(\d{1,2}(,\d{1,2})?)?|\u0004([0-9A-Fa-f]{6}(,[0-9A-Fa-f]{6})?)?")]
    private static partial Regex ColourCode();

    private void RegisterDeadline()
    {
        _registerTimer = null;
        if (_left || Registered)
            return;
        if (Member.AwaitingName)
        {
            // The hub has the nick and has not answered yet (a forking server's parent, a busy
            // Redis): its answer decides, so look again a while later.
            _registerTimer = Connection.Schedule(_live.Current.RegisterTimeout, RegisterDeadline);
            return;
        }

        Reply("ERROR :Closing link: registration timed out");
        Leave(Farewell.Dropped);
    }

    /// <summary>Every <see cref="ChatOptions.PingInterval"/>: a PING after a silent one, a disconnect after two.</summary>
    private void PingCheck()
    {
        _pingTimer = null;
        if (_left)
            return;
        if (_heard)
        {
            _heard = false;
            _pinged = false;
        }
        else if (_pinged)
        {
            Reply(string.Create(CultureInfo.InvariantCulture, $"ERROR :Closing link: ping timeout ({_live.Current.PingInterval.TotalSeconds * 2:0.###} seconds)"));
            Leave(Farewell.Dropped);
            return;
        }
        else
        {
            _pinged = true;
            Member.SendLine($"PING :{Server}");
        }

        _pingTimer = Connection.Schedule(_live.Current.PingInterval, PingCheck);
    }

    private void Leave(Farewell how, string message = "")
    {
        if (_left)
            return;
        _left = true;
        _paced?.Stop();
        _registerTimer?.Dispose();
        _pingTimer?.Dispose();
        _hub.Leave(Member, how, message);
    }

    private void Reply(string line) => _hub.Tell(Member, line);
}
