using Switchboard.Protocols;

namespace Switchboard.Apps.Chat;

/// <summary>
/// One member's side of the chat, whatever carries their lines: parses the commands of
/// <c>docs/chat-protocol.md</c>, applies flood control and cleans what they send, and leaves the
/// shared state to an <see cref="IChatHub"/>. The line protocol (<see cref="ChatProtocol"/>) feeds
/// it the lines of a TCP connection; the web page's WebSocket feeds it one line per message
/// (<c>docs/web.md</c>). Every answer goes through the hub (<see cref="IChatHub.Tell"/>), even
/// this class's own errors: a hub may answer later (in a forking server's parent), and a line sent
/// straight to the connection would overtake the answers to earlier lines. Only the greeting and
/// the shutdown notice, which answer nothing, are sent directly. Its methods are called as a
/// <see cref="Protocol"/>'s callbacks are, one at a time, serialised with the connection's timers.
/// </summary>
public sealed class ChatSession
{
    private static readonly string[] HelpLines =
    [
        "*** commands:",
        "***   /nick NAME       choose or change your name (1-20 ASCII letters (a-z, A-Z), digits, _ or -)",
        "***   /join ROOM       move to ROOM (a new name creates it)",
        "***   /rooms           list rooms and how many are in each",
        "***   /who             list who is in your room",
        "***   /me TEXT         act: shown as * NAME TEXT",
        "***   /msg NAME TEXT   a private message",
        "***   /quit [MESSAGE]  leave",
        "***   /help            this list",
        "*** anything else is said to your room",
    ];

    private readonly IChatHub _hub;
    private readonly LiveChatOptions _live;
    private readonly TimeProvider _clock;
    private readonly IConnection _connection;
    private readonly ChatFormat _format;
    private ChatMember? _member;
    private PacedLines? _paced;
    private IDisposable? _registerTimer;
    private int _strikes;
    private bool _left;

    /// <summary>Creates the session of one connection.</summary>
    /// <param name="hub">The shared state.</param>
    /// <param name="options">Limits and history, followed when a reload changes them.</param>
    /// <param name="clock">For flood control.</param>
    /// <param name="connection">Where the member's events go, and whose timers pace their lines.</param>
    /// <param name="format">How the member's front-end writes events.</param>
    internal ChatSession(IChatHub hub, LiveChatOptions options, TimeProvider clock, IConnection connection, ChatFormat format)
    {
        _hub = hub;
        _live = options;
        _clock = clock;
        _connection = connection;
        _format = format;
    }

    private ChatMember Member => _member ??= new ChatMember(_connection, _format);

    private PacedLines Paced => _paced ??= new PacedLines(_live, _clock, _connection, HandleInTurn, Overflowed);

    /// <summary>The connection is open: greets the member and starts their deadline to choose a name.</summary>
    public void Start()
    {
        Send(ChatLine.Notice("welcome to Switchboard chat. Who are you? Choose a name with /nick NAME (/help lists the commands)"));
        if (_live.Current.RegisterTimeout > TimeSpan.Zero)
            _registerTimer = _connection.Schedule(_live.Current.RegisterTimeout, RegisterDeadline);
    }

    /// <summary>The server is stopping: says goodbye, and the member leaves without a word to the room.</summary>
    public void Shutdown()
    {
        // First the hub stops taking talk (and finishes a fan-out under way), so that no line said
        // from now on reaches only the members not yet told goodbye.
        _hub.BeginShutdown();

        // Not through the hub: at shutdown a remote hub may no longer answer, and nothing is owed after this.
        Send(ChatLine.Notice("the server is shutting down; goodbye"));
        Leave(Farewell.Silent); // lines still queued are dropped with the connection: none was said
    }

    /// <summary>The connection ended (called once, last): the member leaves, as <paramref name="reason"/> says.</summary>
    /// <param name="reason">Why it ended.</param>
    public void Disconnected(DisconnectReason reason)
    {
        // Lines the client sent before it went, still waiting for their turn, are said: none is lost
        // for having come fast. Not for a slow reader, which the server cut off.
        if (reason is DisconnectReason.RemoteClosed or DisconnectReason.Error && !_left)
            _paced?.FlushAfterClose();
        Leave(reason == DisconnectReason.SlowConsumer ? Farewell.TooSlow : Farewell.Dropped);
    }

    /// <summary>A line longer than the server's limit arrived (and was dropped): answered in its turn, and a strike.</summary>
    public void ReceiveTooLong()
    {
        if (!_left)
            Paced.OfferTooLong();
    }

    /// <summary>A line from the member, without its line end: a command or talk, handled in its turn.</summary>
    /// <param name="line">The decoded line.</param>
    public void Receive(string line)
    {
        // After /quit (or too many strikes) the hub closes the connection once its last answers
        // are out; what the client sends meanwhile is ignored.
        if (!_left)
            Paced.Offer(line);
    }

    private void HandleInTurn(string? line)
    {
        if (line is null)
            TooLong();
        else
            Handle(line);
    }

    private void Handle(string line)
    {
        if (!ChatText.IsText(line))
        {
            Reply("! not UTF-8 text");
            Strike();
            return;
        }

        _strikes = 0;
        line = ChatText.Clean(line).Trim();
        if (line.Length == 0)
            return; // an empty line (or one of only invisible characters) says nothing: ignored, as a terminal ignores Enter alone
        if (line[0] == '/')
            Command(line);
        else
            _hub.Say(Member, line);
    }

    private void Overflowed(string reason)
    {
        Reply($"! {reason}; goodbye");
        Leave(Farewell.Dropped); // the hub closes the connection after the goodbye
    }

    private void TooLong()
    {
        Reply($"! line too long (max {_connection.Options.MaxLineLength} bytes)");
        Strike();
    }

    private void RegisterDeadline()
    {
        _registerTimer = null;
        if (_left || Member.Nick is not null)
            return;
        Reply("! too slow to choose a name; goodbye");
        Leave(Farewell.Dropped);
    }

    private void Command(string line)
    {
        int space = line.AsSpan().IndexOfAny(' ', '\t');
        string name = (space < 0 ? line[1..] : line[1..space]).ToLowerInvariant();
        string rest = space < 0 ? "" : line[(space + 1)..].Trim();
        switch (name)
        {
            case "nick" when ChatText.IsValidName(rest):
                _hub.Nick(Member, rest);
                break;
            case "nick":
                Reply(rest.Length == 0 ? "! usage: /nick NAME" : $"! bad name '{rest}': use 1-20 ASCII letters (a-z, A-Z), digits, _ or -");
                break;
            case "join" when ChatText.IsValidName(rest.TrimStart('#')):
                _hub.Join(Member, rest.TrimStart('#'));
                break;
            case "join":
                Reply(rest.Length == 0 ? "! usage: /join ROOM" : $"! bad room name '{rest}': use 1-20 ASCII letters (a-z, A-Z), digits, _ or -");
                break;
            case "rooms":
                _hub.ListRooms(Member);
                break;
            case "who":
                _hub.ListWho(Member);
                break;
            case "me" when rest.Length > 0:
                _hub.Act(Member, rest);
                break;
            case "me":
                Reply("! usage: /me TEXT");
                break;
            case "msg":
                PrivateMessage(rest);
                break;
            case "quit":
                Reply(ChatLine.Notice("bye"));
                Leave(Farewell.Quit, rest); // the hub closes the connection after the bye
                break;
            case "help":
                foreach (string help in HelpLines)
                    Reply(help);
                break;
            case "":
                Reply("! a command needs a name; try /help");
                break;
            default:
                Reply($"! unknown command /{name}; try /help");
                break;
        }
    }

    private void PrivateMessage(string rest)
    {
        int space = rest.AsSpan().IndexOfAny(' ', '\t');
        string text = space < 0 ? "" : rest[(space + 1)..].Trim();
        if (text.Length == 0)
            Reply("! usage: /msg NAME TEXT");
        else
            _hub.Whisper(Member, rest[..space], text);
    }

    private void Leave(Farewell how, string message = "")
    {
        if (_left || _member is null)
            return;
        _left = true;
        _paced?.Stop();
        _registerTimer?.Dispose();
        _hub.Leave(_member, how, message);
    }

    private void Strike()
    {
        if (++_strikes < _live.Current.StrikesBeforeDisconnect)
            return;
        Reply("! too many dropped lines; goodbye");
        Leave(Farewell.Dropped); // the hub closes the connection after the goodbye
    }

    private void Reply(string line) => _hub.Tell(Member, line);

    /// <summary>A line of the session's own, straight to the connection, in the member's format.</summary>
    private void Send(string line) => _connection.Send(new ChatEvent(ChatEventKind.Reply) { Text = line }.EncodedAs(_format).Span);
}
