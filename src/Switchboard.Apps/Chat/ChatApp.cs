using Switchboard.Hosting;
using Switchboard.Protocols;

namespace Switchboard.Apps.Chat;

/// <summary>
/// A chat room: nicknames, rooms, private messages, history, flood control. Its hub (names, rooms,
/// history) lives in the process that serves, or, on a forking server, in the parent, which
/// every worker reaches over the channel the context gives it.
/// </summary>
public sealed class ChatApp : App
{
    /// <inheritdoc />
    public override string Name => "chat";

    /// <inheritdoc />
    public override string Summary => "a chat room: nicknames, rooms, private messages, history, flood control";

    /// <inheritdoc />
    public override int DefaultMaxLineLength => ChatOptions.DefaultMaxLineLength;

    /// <inheritdoc />
    public override Func<Protocol> CreateProtocolFactory(ServeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = context.Settings.Chat;
        IChatHub hub = context.Parent is { } parent ? new RemoteChatHub(parent) : new ChatHub(options.History);
        var clock = context.Clock;
        return () => new ChatProtocol(hub, options, clock);
    }

    /// <inheritdoc />
    public override IWorkerMessageHandler CreateWorkerMessageHandler(ServeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new ChatHubHost(new ChatHub(context.Settings.Chat.History));
    }
}
