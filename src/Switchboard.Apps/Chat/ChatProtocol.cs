using Switchboard.Protocols;

namespace Switchboard.Apps.Chat;

/// <summary>
/// One chat connection: parses the commands of <c>docs/chat-protocol.md</c>, applies flood control
/// and cleans what users send, and leaves the shared state to an <see cref="IChatHub"/>.
/// </summary>
public sealed class ChatProtocol : LineProtocol
{
    private static readonly string[] HelpLines =
    [
        "* commands:",
        "*   /nick NAME       choose or change your name (1-20 letters, digits, _ or -)",
        "*   /join ROOM       move to ROOM (a new name creates it)",
        "*   /rooms           list rooms and how many are in each",
        "*   /who             list who is in your room",
        "*   /me TEXT         act: shown as * NAME TEXT",
        "*   /msg NAME TEXT   a private message",
        "*   /quit [MESSAGE]  leave",
        "*   /help            this list",
        "* anything else is said to your room",
    ];

    private readonly IChatHub _hub;
    private readonly ChatOptions _options;
    private readonly TokenBucket _bucket;
    private ChatMember? _member;
    private int _strikes;
    private bool _left;

    /// <summary>Creates the protocol for one connection.</summary>
    /// <param name="hub">The shared state.</param>
    /// <param name="options">Limits and history.</param>
    /// <param name="clock">For flood control; the system clock by default.</param>
    public ChatProtocol(IChatHub hub, ChatOptions options, TimeProvider? clock = null)
    {
        _hub = hub;
        _options = options;
        _bucket = new TokenBucket(options.Rate, options.Burst, clock ?? TimeProvider.System);
    }

    private ChatMember Member => _member ??= new ChatMember(Connection);

    /// <inheritdoc />
    public override void OnConnected() =>
        SendLine("* welcome to Switchboard chat. Who are you? Choose a name with /nick NAME (/help lists the commands)");

    /// <inheritdoc />
    public override void OnShutdown()
    {
        SendLine("* the server is shutting down; goodbye");
        Leave(null);
    }

    /// <inheritdoc />
    public override void OnDisconnected(DisconnectReason reason)
    {
        if (_member?.Nick is { } nick)
            Leave(reason == DisconnectReason.SlowConsumer ? $"* {nick} left (too slow)" : $"* {nick} quit (connection closed)");
    }

    /// <inheritdoc />
    protected override void OnLineTooLong()
    {
        SendLine($"! line too long (max {MaxLineLength} bytes)");
        Strike();
    }

    /// <inheritdoc />
    protected override void OnLineReceived(string line)
    {
        if (!_bucket.TryTake())
        {
            SendLine("! slow down");
            Strike();
            return;
        }

        _strikes = 0;
        line = ChatText.RemoveControls(line).Trim();
        if (line.Length == 0)
            SendLine("! empty line; type something, or /help");
        else if (line[0] == '/')
            Command(line);
        else if (Member.Nick is null)
            SendLine("! choose a name first: /nick NAME");
        else
            _hub.Broadcast(Member, $"<{Member.Nick}> {line}");
    }

    private void Command(string line)
    {
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        string name = (space < 0 ? line[1..] : line[1..space]).ToLowerInvariant();
        string rest = space < 0 ? "" : line[(space + 1)..].Trim();
        switch (name)
        {
            case "nick":
                Nick(rest);
                break;
            case "help":
                foreach (string help in HelpLines)
                    SendLine(help);
                break;
            case "rooms":
                SendLine("* rooms: " + string.Join(", ", _hub.Rooms().Select(r => $"#{r.Room} ({r.Members})")));
                break;
            case "quit":
                Quit(rest);
                break;
            case "":
                SendLine("! a command needs a name; try /help");
                break;
            case "join" or "who" or "me" or "msg" when Member.Nick is null:
                SendLine("! choose a name first: /nick NAME");
                break;
            case "join":
                JoinRoom(rest.TrimStart('#'));
                break;
            case "who":
                SendLine($"* in #{Member.Room}: " + string.Join(", ", _hub.Who(Member.Room!)));
                break;
            case "me" when rest.Length == 0:
                SendLine("! usage: /me TEXT");
                break;
            case "me":
                _hub.Broadcast(Member, $"* {Member.Nick} {rest}");
                break;
            case "msg":
                PrivateMessage(rest);
                break;
            default:
                SendLine($"! unknown command /{name}; try /help");
                break;
        }
    }

    private void Nick(string nick)
    {
        if (!ChatText.IsValidName(nick))
        {
            SendLine(nick.Length == 0 ? "! usage: /nick NAME" : $"! bad name '{nick}': use 1-20 letters, digits, _ or -");
            return;
        }

        bool first = Member.Nick is null;
        if (_hub.SetNick(Member, nick) is { } error)
            SendLine(error);
        else if (first)
            SendLine($"* you are {nick}, in #{Member.Room}");
    }

    private void JoinRoom(string room)
    {
        if (!ChatText.IsValidName(room))
        {
            SendLine(room.Length == 0 ? "! usage: /join ROOM" : $"! bad room name '{room}': use 1-20 letters, digits, _ or -");
            return;
        }

        if (_hub.Join(Member, room) is { } error)
            SendLine(error);
    }

    private void PrivateMessage(string rest)
    {
        int space = rest.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0 || rest[(space + 1)..].Trim().Length == 0)
        {
            SendLine("! usage: /msg NAME TEXT");
            return;
        }

        string to = rest[..space];
        if (_hub.SendTo(to, $"*{Member.Nick}* {rest[(space + 1)..].Trim()}") is { } error)
            SendLine(error);
    }

    private void Quit(string message)
    {
        SendLine("* bye");
        if (Member.Nick is { } nick)
            Leave(message.Length > 0 ? $"* {nick} quit ({message})" : $"* {nick} quit");
        Connection.Close();
    }

    private void Leave(string? farewell)
    {
        if (_left || _member is null)
            return;
        _left = true;
        _hub.Leave(_member, _member.Nick is null ? null : farewell);
    }

    private void Strike()
    {
        if (++_strikes < _options.StrikesBeforeDisconnect)
            return;
        SendLine("! too many dropped lines; goodbye");
        Connection.Close();
    }
}
