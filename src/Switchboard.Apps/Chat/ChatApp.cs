using Switchboard.Apps.Chat.Redis;
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
        IChatHub hub = options.Hub is { } url ? ConnectBackplane(url, context)
            : context.Parent is { } parent ? new RemoteChatHub(parent)
            : new ChatHub(options.History);
        var clock = context.Clock;
        return () => new ChatProtocol(hub, options, clock);
    }

    /// <inheritdoc />
    /// <remarks>None with a Redis hub: every worker talks to Redis itself.</remarks>
    public override IWorkerMessageHandler? CreateWorkerMessageHandler(ServeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Settings.Chat.Hub is null ? new ChatHubHost(new ChatHub(context.Settings.Chat.History)) : null;
    }

    /// <summary>
    /// Connects this process to the Redis hub (a forking server's parent and each of its workers
    /// are nodes of their own). The hub leaves the backplane when the server stops, so its members'
    /// names are free at once rather than when its heartbeat expires.
    /// </summary>
    /// <exception cref="ChatBackplaneException">Redis cannot be reached.</exception>
    private static RedisChatHub ConnectBackplane(string url, ServeContext context) =>
        context.Resources.Own(RedisChatHub.Connect(url, context.Settings.Chat.History, context.LoggerFactory));
}
