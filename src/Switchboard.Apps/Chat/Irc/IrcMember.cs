using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text;
using Switchboard.Protocols;

namespace Switchboard.Apps.Chat.Irc;

/// <summary>
/// A member on an IRC connection: in any number of rooms, and told everything in IRC's terms.
/// Room events go out as <see cref="IrcChatFormat"/> wrote them once for everyone; what answers
/// this member alone is written here, addressed to their nick (numerics, private messages). A
/// room's history, which the hub replays before the join, is held back until the client has seen
/// its <c>JOIN</c> and the room's names, then sent with each line's time (<c>server-time</c>).
/// The hub delivers to one member one event at a time, so only the requests and capabilities,
/// which the connection's thread sets, are shared.
/// </summary>
internal sealed class IrcMember(IConnection connection) : ChatMember(IrcChatFormat.Instance, manyRooms: true)
{
    private const string Server = IrcChatFormat.ServerName;

    // The program's version (the switchboard tool's 0.1.N), else this library's.
    private static readonly string Version =
        (Assembly.GetEntryAssembly() ?? typeof(IrcMember).Assembly).GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";

    private readonly ConcurrentQueue<ListRequest> _lists = new();
    private readonly ConcurrentQueue<bool> _topics = new(); // per topic asked, in order: true if asked by a JOIN
    private readonly Dictionary<string, List<ChatEvent>> _heldHistory = new(StringComparer.OrdinalIgnoreCase);
    // Rooms whose JOIN the client has seen but not yet the names: what happens there meanwhile waits, so it follows the history.
    private readonly Dictionary<string, List<ChatEvent>> _heldLive = new(StringComparer.OrdinalIgnoreCase);
    private string? _historyRoom;
    private volatile bool _serverTime;
    private volatile bool _echoMessage;
    private volatile bool _awaitingName;

    /// <summary>What a <see cref="ChatEventKind.WhoList"/> answers: a <c>NAMES</c> or a <c>WHO</c>.</summary>
    public enum ListRequest
    {
        Names,
        Who,
    }

    /// <summary>The client asked for <c>server-time</c>: replayed lines carry their time as a tag, not in the text.</summary>
    public bool ServerTime
    {
        get => _serverTime;
        set => _serverTime = value;
    }

    /// <summary>The client asked for <c>echo-message</c>: its own talk and actions come back to it.</summary>
    public bool EchoMessage
    {
        get => _echoMessage;
        set => _echoMessage = value;
    }

    public override bool EchoesOwnTalk => _echoMessage;

    /// <summary>
    /// True from the protocol's asking the hub for a first nick until the hub refuses it: meanwhile
    /// the member may be registered already where the hub is (a forking server's parent), so its
    /// commands go to the hub rather than being refused here.
    /// </summary>
    public bool AwaitingName
    {
        get => _awaitingName;
        set => _awaitingName = value;
    }

    /// <summary>How this member is addressed in numerics: their nick, or <c>*</c> before they have one.</summary>
    private string Me => Nick ?? "*";

    /// <summary>Notes that the next <see cref="ChatEventKind.WhoList"/> answers <paramref name="request"/>; call just before asking the hub.</summary>
    public void Expect(ListRequest request) => _lists.Enqueue(request);

    /// <summary>
    /// Notes that the next <see cref="ChatEventKind.TopicIs"/> answers a <c>JOIN</c> (which shows
    /// a topic only if there is one) if <paramref name="byJoin"/>, else a <c>TOPIC</c>; call just before asking the hub.
    /// </summary>
    public void ExpectTopic(bool byJoin) => _topics.Enqueue(byJoin);

    /// <summary>Sends one line of this member's own making, without its line end.</summary>
    public void SendLine(string line) => connection.Send(Encoding.UTF8.GetBytes(line + "\r\n"));

    public override void Deliver(ChatEvent chatEvent)
    {
        ArgumentNullException.ThrowIfNull(chatEvent);
        if (chatEvent.Replayed)
        {
            if (_historyRoom is { } room && _heldHistory.TryGetValue(room, out var held))
                held.Add(chatEvent);
            return;
        }

        if (IrcChatFormat.IsShared(chatEvent.Kind))
        {
            // An IRC client shows its own action as it sends it, unless it asked to have it echoed.
            bool own = string.Equals(chatEvent.Nick, Nick, StringComparison.OrdinalIgnoreCase);
            if (chatEvent.Kind == ChatEventKind.Action && !_echoMessage && own)
                return;
            if (chatEvent.Kind is not (ChatEventKind.Joined or ChatEventKind.Left or ChatEventKind.Talk or ChatEventKind.Action or ChatEventKind.Topic)
                || !_heldLive.TryGetValue(chatEvent.Room, out var waiting))
            {
                connection.Send(chatEvent.EncodedAs(IrcChatFormat.Instance).Span);
            }
            else
            {
                waiting.Add(chatEvent);
            }

            if (chatEvent.Kind == ChatEventKind.Joined && own)
                _heldLive[chatEvent.Room] = [];
            return;
        }

        if (chatEvent.Kind is ChatEventKind.NameTaken or ChatEventKind.NameTooLike && Nick is null)
            _awaitingName = false;
        switch (chatEvent.Kind)
        {
            case ChatEventKind.History:
                _historyRoom = chatEvent.Room;
                _heldHistory[chatEvent.Room] = [];
                break;
            case ChatEventKind.WhoList:
                ListNames(chatEvent, _lists.TryDequeue(out var request) ? request : ListRequest.Names);
                break;
            case ChatEventKind.Registered:
                Welcome();
                break;
            case ChatEventKind.TopicIs:
                bool byJoin = _topics.TryDequeue(out bool joining) && joining;
                if (chatEvent.Text.Length > 0)
                {
                    SendLine($":{Server} 332 {Me} #{chatEvent.Room} :{chatEvent.Text}");
                    SendLine($":{Server} 333 {Me} #{chatEvent.Room} {chatEvent.Other} {chatEvent.Time.ToUnixTimeSeconds()}");
                }
                else if (!byJoin)
                {
                    SendLine($":{Server} 331 {Me} #{chatEvent.Room} :No topic is set");
                }

                break;
            case ChatEventKind.WhoisReply:
                Whois(chatEvent);
                break;
            case ChatEventKind.IsAway:
                SendLine($":{Server} 301 {Me} {chatEvent.Nick} :{chatEvent.Text}");
                break;
            case ChatEventKind.RoomList:
                SendLine($":{Server} 321 {Me} Channel :Users Name");
                for (int i = 0; i < chatEvent.Names.Count; i++)
                    SendLine($":{Server} 322 {Me} #{chatEvent.Names[i]} {chatEvent.Sizes[i]} :");
                SendLine($":{Server} 323 {Me} :End of /LIST");
                break;
            case ChatEventKind.Private:
                SendLine(IrcChatFormat.Fitted($":{IrcChatFormat.Source(chatEvent.Nick)} {Command(chatEvent)} {Me} :", chatEvent.Text, ""));
                break;
            case ChatEventKind.PrivateSent:
                if (_echoMessage)
                    SendLine(IrcChatFormat.Fitted($":{IrcChatFormat.Source(Me)} {Command(chatEvent)} {chatEvent.Other} :", chatEvent.Text, ""));
                break;
            case ChatEventKind.Reply:
                SendLine(chatEvent.Text); // the protocol's own line, already in IRC's terms
                break;
            case ChatEventKind.AlreadyNamed or ChatEventKind.AlreadyInRoom:
                break; // IRC says nothing: the client knows already
            default:
                if (Numeric(chatEvent) is { } line)
                    SendLine(line);
                break;
        }
    }

    private static string Command(ChatEvent e) => e.Notice ? "NOTICE" : "PRIVMSG";

    /// <summary>Closes the connection after what was sent before (the hub's last word on a member who leaves).</summary>
    public override void Close() => connection.Close();

    /// <summary>The one-line answer for an error or a notice of the hub.</summary>
    private string? Numeric(ChatEvent e) => e.Kind switch
    {
        ChatEventKind.NameTaken => $":{Server} 433 {Me} {e.Nick} :Nickname is already in use",
        ChatEventKind.NameTooLike => $":{Server} 433 {Me} {e.Nick} :Nickname is too like {e.Other}'s; choose another",
        ChatEventKind.NameFirst => $":{Server} 451 {Me} :You have not registered",
        ChatEventKind.NotInRoom => $":{Server} 442 {Me} #{e.Room} :You're not on that channel",
        ChatEventKind.NoSuchNick => $":{Server} 401 {Me} {e.Other} :No such nick/channel",
        // The hub's own notices (shutdown, the backplane) as the line protocol words them.
        _ => $":{Server} NOTICE {Me} :{LineChatFormat.Format(e)}",
    };

    private void Whois(ChatEvent e)
    {
        if (e.Nick.Length == 0)
        {
            SendLine($":{Server} 401 {Me} {e.Other} :No such nick/channel");
            SendLine($":{Server} 318 {Me} {e.Other} :End of /WHOIS list");
            return;
        }

        SendLine($":{Server} 311 {Me} {e.Nick} {e.Nick} {Server} * :{e.Nick}");
        foreach (string rooms in Packed(e.Names.Select(room => "#" + room)))
            SendLine($":{Server} 319 {Me} {e.Nick} :{rooms}");
        SendLine($":{Server} 312 {Me} {e.Nick} {Server} :Switchboard");
        if (e.Text.Length > 0)
            SendLine($":{Server} 301 {Me} {e.Nick} :{e.Text}");
        SendLine($":{Server} 318 {Me} {e.Nick} :End of /WHOIS list");
    }

    private void ListNames(ChatEvent e, ListRequest request)
    {
        string channel = "#" + e.Room;
        if (request == ListRequest.Who)
        {
            foreach (string nick in e.Names)
                SendLine($":{Server} 352 {Me} {channel} {nick} {Server} {Server} {nick} H :0 {nick}");
            SendLine($":{Server} 315 {Me} {channel} :End of /WHO list");
            return;
        }

        foreach (string names in Packed(e.Names))
            SendLine($":{Server} 353 {Me} = {channel} :{names}");
        SendLine($":{Server} 366 {Me} {channel} :End of /NAMES list");
        SendHeldHistory(e.Room);
        if (_heldLive.Remove(e.Room, out var waiting))
        {
            foreach (var live in waiting)
                connection.Send(live.EncodedAs(IrcChatFormat.Instance).Span);
        }
    }

    /// <summary>Words (names, rooms) joined by spaces into lists of at most 400 bytes, so that a numeric carrying one stays within IRC's 512.</summary>
    private static IEnumerable<string> Packed(IEnumerable<string> words)
    {
        var list = new StringBuilder();
        foreach (string word in words)
        {
            if (list.Length > 0 && list.Length + 1 + word.Length > 400)
            {
                yield return list.ToString();
                list.Clear();
            }

            list.Append(list.Length > 0 ? " " : "").Append(word);
        }

        if (list.Length > 0)
            yield return list.ToString();
    }

    /// <summary>The history held back for <paramref name="room"/>, now that the client has joined it and seen who is there.</summary>
    private void SendHeldHistory(string room)
    {
        if (!_heldHistory.Remove(room, out var lines))
            return;
        if (string.Equals(_historyRoom, room, StringComparison.OrdinalIgnoreCase))
            _historyRoom = null;
        foreach (var line in lines)
        {
            if (_serverTime)
            {
                string tag = $"@time={line.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)} ";
                foreach (string part in IrcChatFormat.Line(line).Split("\r\n"))
                    SendLine(tag + part);
            }
            else
            {
                SendLine(IrcChatFormat.Line(line, $"[{line.Time.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture)}] {line.Text}"));
            }
        }
    }

    private void Welcome()
    {
        SendLine($":{Server} 001 {Me} :Welcome to the Switchboard IRC network, {Me}");
        SendLine($":{Server} 002 {Me} :Your host is {Server}, running version {Version}");
        SendLine($":{Server} 003 {Me} :This server speaks IRC beside Switchboard's line protocol; both share one set of rooms");
        SendLine($":{Server} 004 {Me} {Server} {Version} i nt");
        SendLine($":{Server} 005 {Me} CASEMAPPING=ascii CHANTYPES=# NICKLEN={ChatText.MaxNameLength} CHANNELLEN={ChatText.MaxNameLength + 1} TOPICLEN={IrcProtocol.TopicLength} "
            + "NETWORK=Switchboard PREFIX= CHANMODES=,,,nt :are supported by this server");
        SendLine($":{Server} 422 {Me} :MOTD File is missing");
    }
}
