using System.Net;
using System.Runtime.CompilerServices;
using Switchboard.Apps.Chat.Irc;
using Switchboard.Apps.Chat.Redis;
using Switchboard.Engines;
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
    /// <summary>IRC's conventional port.</summary>
    public const int StandardIrcPort = 6667;

    /// <summary>The IRC server's <see cref="ServerOptions.ListenerName"/>.</summary>
    public const string IrcListenerName = "irc";

    // One hub per serve: the line-protocol server and the IRC server of one context share it;
    // and one set of settings in force, which a reload replaces.
    private readonly ConditionalWeakTable<ServeContext, IChatHub> _hubs = [];
    private readonly ConditionalWeakTable<ServeContext, LiveChatOptions> _live = [];

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
        var options = LiveOf(context);
        var hub = HubOf(context);
        var clock = context.Clock;
        return () => new ChatProtocol(hub, options, clock);
    }

    /// <inheritdoc />
    /// <remarks>
    /// <c>rate</c> paces each member's next line (also of lines already waiting); <c>history</c>
    /// trims every room at once (with the Redis hub: each room's stream at its next line);
    /// <c>register-timeout</c> applies to connections that arrive after. On forking, the history
    /// is the parent's (it holds the rooms) and the rest each worker's.
    /// </remarks>
    public override IReadOnlyCollection<string> LiveSettings { get; } = ["rate", "history", "register-timeout"];

    /// <inheritdoc />
    public override void Reconfigure(ServeContext context, AppSettings settings)
    {
        base.Reconfigure(context, settings);
        var live = LiveOf(context);
        live.Current = live.Current with
        {
            Rate = settings.Chat.Rate,
            Burst = settings.Chat.Burst,
            History = settings.Chat.History,
            RegisterTimeout = settings.Chat.RegisterTimeout,
        };
        switch (HubOf(context))
        {
            case ChatHub hub:
                hub.HistorySize = settings.Chat.History;
                break;
            case RedisChatHub hub:
                hub.HistorySize = settings.Chat.History;
                break;
        }
    }

    private LiveChatOptions LiveOf(ServeContext context) => _live.GetValue(context, c => new LiveChatOptions(c.Settings.Chat));

    /// <summary>
    /// A second server, on <paramref name="endPoint"/>, that speaks IRC to the same rooms as the
    /// line-protocol server made from <paramref name="context"/> (docs/irc.md). Its lines are IRC's
    /// 512 bytes at most; its other limits are the context's.
    /// </summary>
    /// <param name="engine">The same engine as the line-protocol server's: any but iterative.</param>
    /// <param name="context">The line-protocol server's context.</param>
    /// <param name="endPoint">Where IRC clients connect.</param>
    /// <exception cref="ArgumentException">The engine serves one client at a time.</exception>
    /// <exception cref="ChatBackplaneException">Redis cannot be reached.</exception>
    public Server CreateIrcServer(Engine engine, ServeContext context, IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(context);
        CheckIrc(engine, context.Settings.Chat);
        context.Settings.Validate();
        var hub = HubOf(context);
        var options = LiveOf(context);
        var clock = context.Clock;
        var serverOptions = context.Options with
        {
            EndPoint = endPoint,
            MaxLineLength = IrcProtocol.MaxIrcLineLength,
            ListenerName = IrcListenerName,
            RefusalLine = reason => $"ERROR :Closing link: {reason}; try again later\r\n",
        };
        return new Server(engine, serverOptions, () => new IrcProtocol(hub, options, clock), context.LoggerFactory)
        {
            // On forking, IRC's workers reach the same hub in the parent as the line protocol's
            // (with a Redis hub, the parent's one node).
            WorkerMessageHandler = () => CreateWorkerMessageHandler(context),
            Shared = context.Resources.Hold(), // the hub outlives whichever server stops first
        };
    }

    /// <summary>
    /// The session of one web page's WebSocket (docs/web.md): a member of the same rooms as the
    /// line-protocol server made from <paramref name="context"/>, in one room at a time as a
    /// line-protocol member is, its events written as JSON. Its limits are the context's; on
    /// forking, call it in the parent, whose hub the workers' members share.
    /// </summary>
    /// <param name="context">The line-protocol server's context.</param>
    /// <param name="connection">The WebSocket, as a connection: its timers pace the member's lines.</param>
    /// <exception cref="ChatBackplaneException">Redis cannot be reached.</exception>
    public ChatSession CreateWebSession(ServeContext context, IConnection connection)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(connection);
        return new ChatSession(HubOf(context), LiveOf(context), context.Clock, connection, WebChatFormat.Instance);
    }

    /// <summary>Whether IRC can be served on <paramref name="engine"/> with <paramref name="options"/>: throws if not.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="options">The chat's settings.</param>
    /// <exception cref="ArgumentException">The engine serves one client at a time (one line, saying so).</exception>
    public static void CheckIrc(Engine engine, ChatOptions options)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        if (!engine.ServesConcurrently)
            throw new ArgumentException($"IRC needs an engine that serves many clients at once, not {engine.Name}");
    }

    private IChatHub HubOf(ServeContext context) => _hubs.GetValue(context, c =>
        c.Parent is { } parent ? new RemoteChatHub(parent)
        : c.Settings.Chat.Hub is { } url ? ConnectBackplane(url, c)
        : new ChatHub(c.Settings.Chat.History));

    /// <inheritdoc />
    /// <remarks>
    /// The parent's hub serves every worker's members: the rooms themselves, or, with a Redis hub,
    /// the parent's one connection to Redis, so a forking server is one node however many workers
    /// it runs (docs/scale-out.md).
    /// </remarks>
    public override IWorkerMessageHandler? CreateWorkerMessageHandler(ServeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new ChatHubHost(HubOf(context));
    }

    /// <summary>
    /// Connects this process to the Redis hub as one node (a forking server's parent, for all of its
    /// workers). The hub leaves the backplane when the server stops, so its members' names are free
    /// at once rather than when its heartbeat expires.
    /// </summary>
    /// <exception cref="ChatBackplaneException">Redis cannot be reached.</exception>
    private static RedisChatHub ConnectBackplane(string url, ServeContext context) =>
        context.Resources.Own(RedisChatHub.Connect(url, context.Settings.Chat.History, context.LoggerFactory));
}
