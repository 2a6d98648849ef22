using Switchboard.Protocols;

namespace Switchboard.Apps.Chat;

/// <summary>
/// One chat connection: parses the commands of <c>docs/chat-protocol.md</c>, applies flood control
/// and cleans what users send, and leaves the shared state to an <see cref="IChatHub"/>. Every
/// answer to a line goes through the hub (<see cref="IChatHub.Tell"/>), even this class's own
/// errors: a hub may answer later (in a forking server's parent), and a line sent straight to the
/// connection would overtake the answers to earlier lines. Only the greeting and the shutdown
/// notice, which answer nothing, are sent directly.
/// </summary>
public sealed class ChatProtocol : LineProtocol
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
    private ChatMember? _member;
    private PacedLines? _paced;
    private IDisposable? _registerTimer;
    private int _strikes;
    private bool _left;

    /// <summary>Creates the protocol for one connection.</summary>
    /// <param name="hub">The shared state.</param>
    /// <param name="options">Limits and history.</param>
    /// <param name="clock">For flood control; the system clock by default.</param>
    public ChatProtocol(IChatHub hub, ChatOptions options, TimeProvider? clock = null)
        : this(hub, new LiveChatOptions(options), clock)
    {
    }

    /// <summary>Creates the protocol for one connection of a server whose settings a reload may change.</summary>
    internal ChatProtocol(IChatHub hub, LiveChatOptions options, TimeProvider? clock)
    {
        _hub = hub;
        _live = options;
        _clock = clock ?? TimeProvider.System;
    }

    private ChatMember Member => _member ??= new ChatMember(Connection, ChatFormat.Lines);

    private PacedLines Paced => _paced ??= new PacedLines(_live, _clock, Connection, HandleInTurn, Overflowed);

    /// <inheritdoc />
    public override void OnConnected()
    {
        SendLine(ChatLine.Notice("welcome to Switchboard chat. Who are you? Choose a name with /nick NAME (/help lists the commands)"));
        if (_live.Current.RegisterTimeout > TimeSpan.Zero)
            _registerTimer = Connection.Schedule(_live.Current.RegisterTimeout, RegisterDeadline);
    }

    /// <inheritdoc />
    public override void OnShutdown()
    {
        // First the hub stops taking talk (and finishes a fan-out under way), so that no line said
        // from now on reaches only the members not yet told goodbye.
        _hub.BeginShutdown();

        // Not through the hub: at shutdown a remote hub may no longer answer, and nothing is owed after this.
        SendLine(ChatLine.Notice("the server is shutting down; goodbye"));
        Leave(Farewell.Silent); // lines still queued are dropped with the connection: none was said
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
        if (!_left)
            Paced.OfferTooLong();
    }

    /// <inheritdoc />
    protected override void OnLineReceived(string line)
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
        Reply($"! line too long (max {MaxLineLength} bytes)");
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
}
