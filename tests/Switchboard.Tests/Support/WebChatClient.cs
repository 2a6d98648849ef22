using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Switchboard.Tests.Support;

/// <summary>
/// A WebSocket client of <c>serve chat --web</c>'s socket, as the page is (docs/web.md): it sends
/// lines and reads JSON events, one per message or several in one (an array). The handshake is written by hand, so that a test
/// chooses the <c>Origin</c> and <c>Host</c> headers and the socket's receive buffer (a reader too
/// slow to keep up).
/// </summary>
public sealed class WebChatClient : IDisposable
{
    private readonly Socket _tcp;
    private readonly byte[] _buffer = new byte[256 * 1024];
    private readonly Queue<JsonElement> _waiting = new(); // the rest of a message that carried several events

    private WebChatClient(Socket tcp, WebSocket socket)
    {
        _tcp = tcp;
        Socket = socket;
    }

    public WebSocket Socket { get; }

    /// <summary>How many messages have been read (an array of events is one).</summary>
    public int Messages { get; private set; }

    /// <summary>
    /// Opens the socket of the page at <paramref name="page"/>, sending <paramref name="origin"/>
    /// (the page's own by default; null for none). Fails the test if the server refuses.
    /// </summary>
    public static async Task<WebChatClient> ConnectAsync(Uri page, string? origin = "", int? receiveBufferSize = null)
    {
        var (status, client) = await TryConnectAsync(page, origin, receiveBufferSize);
        Assert.True(client is not null, $"the socket was refused: HTTP {status}");
        return client;
    }

    /// <summary>Opens the page's socket and takes the name <paramref name="nick"/>, waiting until the server says it is taken.</summary>
    public static async Task<WebChatClient> JoinAsync(Uri page, string nick, int? receiveBufferSize = null)
    {
        var client = await ConnectAsync(page, receiveBufferSize: receiveBufferSize);
        try
        {
            await client.SendAsync($"/nick {nick}");
            await client.WaitForAsync("registered");
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the socket once the server takes it: a slot freed by a socket that just ended is
    /// given back a moment after its end is seen, so a refusal (503, 429, or a connection closed
    /// unanswered at Kestrel's limit while the last try's is not yet seen closed) is tried again, until
    /// <see cref="Timeouts.Quick"/> has passed.
    /// </summary>
    public static async Task<WebChatClient> ConnectWhenFreeAsync(Uri page, int? receiveBufferSize = null)
    {
        var deadline = DateTime.UtcNow + Timeouts.Quick;
        while (true)
        {
            var (status, client) = await TryConnectAsync(page, receiveBufferSize: receiveBufferSize);
            if (client is not null)
                return client;
            Assert.True(status is 503 or 429 or 0, $"the socket was refused: HTTP {status}"); // 0: closed unanswered, at Kestrel's own limit
            Assert.True(DateTime.UtcNow < deadline, $"the socket was still refused (HTTP {status}) after {Timeouts.Quick}");
        }
    }

    /// <summary>
    /// The server's answer to the handshake: 101 and the client, or the refusal's status and no
    /// client; 0 if the server closed the connection without an answer. <paramref name="host"/> is
    /// the <c>Host</c> header (the page's address by default).
    /// </summary>
    public static async Task<(int Status, WebChatClient? Client)> TryConnectAsync(Uri page, string? origin = "", int? receiveBufferSize = null, string? host = null)
    {
        var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (receiveBufferSize is { } size)
            tcp.ReceiveBufferSize = size;
        using var cts = new CancellationTokenSource(Timeouts.Quick);
        await tcp.ConnectAsync(new IPEndPoint(IPAddress.Parse(page.Host), page.Port), cts.Token);
        var stream = new NetworkStream(tcp, ownsSocket: false);
        string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        string request = $"GET /chat HTTP/1.1\r\nHost: {host ?? page.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            + (origin is null ? "" : $"Origin: {(origin.Length == 0 ? $"http://{page.Authority}" : origin)}\r\n") + "\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), cts.Token);

        // The answer's head, a byte at a time, so that nothing of the socket's first frames is read with it.
        var head = new List<byte>();
        var one = new byte[1];
        try
        {
            while (head.Count < 4 || head[^4] != '\r' || head[^3] != '\n' || head[^2] != '\r' || head[^1] != '\n')
            {
                if (await stream.ReadAsync(one, cts.Token) == 0)
                    break;
                head.Add(one[0]);
            }
        }
        catch (IOException)
        {
            head.Clear(); // reset: no answer
        }

        if (head.Count == 0)
        {
            tcp.Dispose();
            return (0, null);
        }

        string statusLine = Encoding.ASCII.GetString([.. head]).Split("\r\n")[0];
        int status = int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        if (status != 101)
        {
            tcp.Dispose();
            return (status, null);
        }

        var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = Timeout.InfiniteTimeSpan });
        return (status, new WebChatClient(tcp, socket));
    }

    /// <summary>Sends one line, as one text message.</summary>
    public async Task SendAsync(string line)
    {
        using var cts = new CancellationTokenSource(Timeouts.Quick);
        await Socket.SendAsync(Encoding.UTF8.GetBytes(line), WebSocketMessageType.Text, endOfMessage: true, cts.Token);
    }

    /// <summary>The next event, or null once the server has closed (see <see cref="WebSocket.CloseStatus"/>), the close answered.</summary>
    public async Task<JsonElement?> NextAsync(TimeSpan? timeout = null)
    {
        if (_waiting.TryDequeue(out var waiting))
            return waiting;
        using var cts = new CancellationTokenSource(timeout ?? Timeouts.Patient);
        int length = 0;
        while (true)
        {
            var result = await Socket.ReceiveAsync(_buffer.AsMemory(length), cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                // Answered at once, as a browser answers it, so the server need not wait to end the socket.
                if (Socket.State == WebSocketState.CloseReceived)
                    await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
                return null;
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                Messages++;
                var root = JsonDocument.Parse(_buffer.AsMemory(0, length)).RootElement.Clone();
                if (root.ValueKind != JsonValueKind.Array)
                    return root;
                Assert.True(root.GetArrayLength() > 1, $"an array of fewer than two events: {root.GetRawText()}");
                foreach (var one in root.EnumerateArray())
                    _waiting.Enqueue(one);
                return _waiting.Dequeue();
            }
        }
    }

    /// <summary>Reads events until one matches; fails, naming what came, if the socket closes first (or none comes in time).</summary>
    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> match, string what)
    {
        var seen = new List<string>();
        while (await NextAsync() is { } e)
        {
            if (match(e))
                return e;
            seen.Add(e.GetRawText());
        }

        Assert.Fail($"closed ({Socket.CloseStatus} {Socket.CloseStatusDescription}) before {what}; saw: {string.Join(" | ", seen)}");
        return default;
    }

    /// <summary>Reads events until one of <paramref name="kind"/> (and, if given, with <paramref name="text"/>) comes.</summary>
    public Task<JsonElement> WaitForAsync(string kind, string? text = null) =>
        WaitForAsync(e => e.GetProperty("kind").GetString() == kind && (text is null || e.GetProperty("text").GetString() == text || e.GetProperty("line").GetString() == text), $"{kind} {text}");

    /// <summary>Reads events until the server closes; returns its close status.</summary>
    public async Task<WebSocketCloseStatus?> WaitForCloseAsync()
    {
        while (await NextAsync() is not null)
        {
        }

        return Socket.CloseStatus;
    }

    public void Dispose()
    {
        Socket.Dispose();
        _tcp.Dispose();
    }
}
