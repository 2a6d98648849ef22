using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.Apps;
using Switchboard.Apps.Chat;

namespace Switchboard.Cli.Web;

/// <summary>
/// <c>serve chat --web HOST:PORT</c>: Kestrel serves the chat's page (<c>/</c>, with its
/// <c>chat.css</c> and <c>chat.js</c>, embedded in this assembly) and a WebSocket at
/// <see cref="SocketPath"/> whose every socket is a member of the same rooms as the line protocol's
/// (<see cref="ChatApp.CreateWebSession"/>), docs/web.md. Beside the engine's listeners, whatever the
/// engine: on forking it runs in the parent, whose hub the workers share. The line protocol's
/// protections hold: the line limit and flood control (the session's), the connection limit and
/// the per-address limits (<see cref="PerAddressLimits"/>: the same options, counted apart from
/// the line protocol's connections; Kestrel's own connection limits, so that plain HTTP connections
/// cannot take every descriptor either), slow readers dropped (<see cref="WebSocketConnection"/>, and
/// the sockets' total, <see cref="WebOutputBudget"/>), dead peers found by pings; and a WebSocket
/// whose <c>Origin</c> is not allowed, or whose page was reached by a name not of this server
/// (DNS rebinding), is refused (403) before it opens.
/// </summary>
internal sealed partial class WebChatEndpoint : IAsyncDisposable
{
    /// <summary>Where the page's WebSocket connects.</summary>
    public const string SocketPath = "/chat";

    private static readonly Dictionary<string, (string Resource, string ContentType)> Files = new(StringComparer.Ordinal)
    {
        ["/"] = ("web/index.html", "text/html; charset=utf-8"),
        ["/chat.css"] = ("web/chat.css", "text/css; charset=utf-8"),
        ["/chat.js"] = ("web/chat.js", "text/javascript; charset=utf-8"),
    };

    private readonly WebApplication _app;
    private readonly ChatApp _chat;
    private readonly ServeContext _context;
    private IAsyncDisposable? _hold; // on the context's resources (the chat's hub), from a successful start until stopped
    private readonly IReadOnlyList<string> _origins;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<WebSocketConnection, Task> _open = new();
    private readonly Dictionary<string, byte[]> _files;
    private volatile ServerOptions _options;
    private readonly PerAddressLimits _limits;
    private readonly WebOutputBudget _budget;
    private int _count;
    private volatile bool _stopping;

    private WebChatEndpoint(WebApplication app, ChatApp chat, ServeContext context, IReadOnlyList<string> origins, ILogger logger)
    {
        _app = app;
        _chat = chat;
        _context = context;
        _options = context.Options;
        _limits = new PerAddressLimits(context.Options, context.Clock);
        _origins = origins;
        _logger = logger;
        _budget = new WebOutputBudget(() => _options.MaxPendingTotalBytes, () => _open.Keys, logger);
        _files = Files.ToDictionary(file => file.Key, file => ReadResource(file.Value.Resource), StringComparer.Ordinal);
    }

    /// <summary>How often the server pings each socket.</summary>
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(30);

    /// <summary>How long a ping may go unanswered before the peer is taken for dead.</summary>
    public static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Where it listens (the real port when 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>The limits in force: the line protocol's server's, as a reload last set them.</summary>
    public ServerOptions Options => _options;

    /// <summary>The page's address.</summary>
    public string Url => $"{(_context.Options.Tls is null ? "http" : "https")}://{EndPoint}/";

    /// <summary>
    /// Listens on <paramref name="at"/> and serves the page and its WebSocket until stopped.
    /// </summary>
    /// <param name="at">Where.</param>
    /// <param name="chat">The chat app whose line-protocol server <paramref name="context"/> made.</param>
    /// <param name="context">That server's context: its hub, its limits.</param>
    /// <param name="origins">Origins allowed besides the page's own (<c>https://chat.example.org</c>).</param>
    /// <param name="loggerFactory">serve's loggers.</param>
    /// <exception cref="IOException">The address cannot be listened on (in use, say).</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The address cannot be listened on.</exception>
    public static async Task<WebChatEndpoint> StartAsync(IPEndPoint at, ChatApp chat, ServeContext context, IReadOnlyList<string> origins, ILoggerFactory loggerFactory)
    {
        // Kestrel's limits: the sockets as many as --max-connections (as they were at start: a reload
        // lowers the count checked here, not Kestrel's), and as many plain HTTP connections beside them.
        var builder = EmptyKestrel.CreateBuilder(at, loggerFactory, maxConnections: context.Options.MaxConnections, maxUpgraded: context.Options.MaxConnections, context.Options.Tls);
        var app = builder.Build();
        var endpoint = new WebChatEndpoint(app, chat, context, origins, loggerFactory.CreateLogger("Switchboard.Cli.Web"));

        // A ping every KeepAliveInterval; a peer that has not answered one within KeepAliveTimeout is dead, and its socket aborted.
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = KeepAliveInterval, KeepAliveTimeout = KeepAliveTimeout });
        app.Run(endpoint.HandleAsync);
        endpoint.EndPoint = await EmptyKestrel.StartAsync(app, at).ConfigureAwait(false);
        endpoint._hold = context.Resources.Hold(); // the hub stays until the pages are told goodbye too
        return endpoint;
    }

    /// <summary>New limits (a reload): the next socket is judged by them; the rate and history follow the chat's own reload.</summary>
    public void Reconfigure(ServerOptions options)
    {
        _options = options;
        _limits.Update(options);
    }

    /// <summary>
    /// Every page is told goodbye (as the line protocol's members are) and its socket closed;
    /// then Kestrel stops. Bounded by the server's shutdown timeout.
    /// </summary>
    public async Task StopAsync()
    {
        _stopping = true;
        foreach (var connection in _open.Keys)
            connection.Shutdown();
        var all = Task.WhenAll(_open.Values);
        await Task.WhenAny(all, Task.Delay(_options.ShutdownTimeout + WebSocketConnection.CloseGrace)).ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        if (_hold is { } hold)
            await hold.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping)
            await StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpContext http)
    {
        string path = http.Request.Path.Value ?? "/";
        if (path == SocketPath)
        {
            await ServeSocketAsync(http).ConfigureAwait(false);
            return;
        }

        if (!Files.TryGetValue(path == "/index.html" ? "/" : path, out var file) || !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var headers = http.Response.Headers;
        headers.ContentType = file.ContentType;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        // Nothing from elsewhere: the page, its style and script are these files, and it talks to this server alone.
        headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        byte[] body = _files[path == "/index.html" ? "/" : path];
        headers.ContentLength = body.Length;
        if (HttpMethods.IsGet(http.Request.Method))
            await http.Response.Body.WriteAsync(body).ConfigureAwait(false);
    }

    private async Task ServeSocketAsync(HttpContext http)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            await RefuseAsync(http, StatusCodes.Status400BadRequest, "a WebSocket only: the page is at /").ConfigureAwait(false);
            return;
        }

        string? origin = http.Request.Headers.Origin;
        if (origin is not null && !IsAllowed(origin, http.Request))
        {
            Log.OriginRefused(_logger, origin, http.Connection.RemoteIpAddress);
            await RefuseAsync(http, StatusCodes.Status403Forbidden, $"origin {origin} is not allowed").ConfigureAwait(false);
            return;
        }

        if (_stopping)
        {
            await RefuseAsync(http, StatusCodes.Status503ServiceUnavailable, "the server is shutting down").ConfigureAwait(false);
            return;
        }

        var address = http.Connection.RemoteIpAddress ?? IPAddress.None;
        var options = _options;
        if (Interlocked.Increment(ref _count) > options.MaxConnections)
        {
            Interlocked.Decrement(ref _count);
            await RefuseAsync(http, StatusCodes.Status503ServiceUnavailable, "server full").ConfigureAwait(false);
            return;
        }

        bool counted = false;
        try
        {
            if (_limits.TryAdmit(address, out counted) is { } why)
            {
                Log.AddressRefused(_logger, address, why);
                await RefuseAsync(http, StatusCodes.Status429TooManyRequests, why).ConfigureAwait(false);
                return;
            }

            System.Net.WebSockets.WebSocket socket;
            try
            {
                socket = await http.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
            }
            catch (InvalidOperationException) when (!http.Response.HasStarted)
            {
                // Kestrel's own limit on upgraded connections (the count above is checked first; a reload may raise it past Kestrel's).
                await RefuseAsync(http, StatusCodes.Status503ServiceUnavailable, "server full").ConfigureAwait(false);
                return;
            }

            using var connection = new WebSocketConnection(
                socket,
                new IPEndPoint(address, http.Connection.RemotePort),
                new IPEndPoint(http.Connection.LocalIpAddress ?? IPAddress.None, http.Connection.LocalPort),
                options,
                _context.Clock,
                _logger,
                _budget);
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _open[connection] = done.Task;
            try
            {
                if (_stopping)
                    connection.Shutdown(); // stopping began as it opened: it is told goodbye too
                await connection.RunAsync(_chat.CreateWebSession(_context, connection)).ConfigureAwait(false);
            }
            finally
            {
                _open.TryRemove(connection, out _);
                done.SetResult();
            }
        }
        finally
        {
            if (counted)
                _limits.Release(address);
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>
    /// One given with <c>--web-origins</c>, or the page's own origin (as the browser reached this
    /// server: its Host) when that Host is a name of this server's (<see cref="IsTrustedHost"/>): a
    /// name of another site's, which its DNS points here (rebinding), would make that site's page
    /// this one's.
    /// </summary>
    private bool IsAllowed(string origin, HttpRequest request) =>
        _origins.Any(allowed => string.Equals(origin, allowed, StringComparison.OrdinalIgnoreCase))
        || string.Equals(origin, $"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase) && IsTrustedHost(request.Host.Host);

    /// <summary>
    /// A name the page may be reached by, for its own origin to count: an IP address (no DNS, so
    /// nothing to rebind), <c>localhost</c>, or the host of an origin given with <c>--web-origins</c>.
    /// </summary>
    private bool IsTrustedHost(string host) =>
        IPAddress.TryParse(host.Trim('[', ']'), out _)
        || string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
        || _origins.Any(allowed => Uri.TryCreate(allowed, UriKind.Absolute, out var uri) && string.Equals(uri.Host, host, StringComparison.OrdinalIgnoreCase));

    private static async Task RefuseAsync(HttpContext http, int status, string why)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/plain; charset=utf-8";
        await http.Response.WriteAsync(why + "\n").ConfigureAwait(false);
    }

    private static byte[] ReadResource(string name)
    {
        using var stream = typeof(WebChatEndpoint).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the page's {name} is not embedded in the program");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 121, Level = LogLevel.Information, Message = "web chat: refused a WebSocket from {Address}: origin {Origin} is not allowed")]
        public static partial void OriginRefused(ILogger logger, string origin, IPAddress? address);

        [LoggerMessage(EventId = 122, Level = LogLevel.Information, Message = "web chat: refused a WebSocket from {Address}: {Why}")]
        public static partial void AddressRefused(ILogger logger, IPAddress address, string why);
    }
}
