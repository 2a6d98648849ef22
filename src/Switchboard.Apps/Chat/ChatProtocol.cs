using Switchboard.Protocols;

namespace Switchboard.Apps.Chat;

/// <summary>
/// One chat connection of the line protocol (<c>docs/chat-protocol.md</c>): its lines go, one by
/// one, to a <see cref="ChatSession"/>, which parses the commands, applies flood control and
/// leaves the shared state to an <see cref="IChatHub"/>.
/// </summary>
public sealed class ChatProtocol : LineProtocol
{
    private readonly IChatHub _hub;
    private readonly LiveChatOptions _live;
    private readonly TimeProvider _clock;
    private ChatSession? _session;

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

    private ChatSession Session => _session ??= new ChatSession(_hub, _live, _clock, Connection, ChatFormat.Lines);

    /// <inheritdoc />
    public override void OnConnected() => Session.Start();

    /// <inheritdoc />
    public override void OnShutdown() => Session.Shutdown();

    /// <inheritdoc />
    public override void OnDisconnected(DisconnectReason reason) => Session.Disconnected(reason);

    /// <inheritdoc />
    protected override void OnLineTooLong() => Session.ReceiveTooLong();

    /// <inheritdoc />
    protected override void OnLineReceived(string line) => Session.Receive(line);
}
