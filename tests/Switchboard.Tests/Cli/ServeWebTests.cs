using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// <c>serve chat --web</c> without a browser: the page's files, and its WebSocket driven by a
/// client of the test's (<see cref="WebChatClient"/>) beside a line-protocol client, against the
/// line protocol's protections: origin and host, line limit, flood control, slow readers (each
/// socket's queue, its soft limit, the sockets' total), closes that cannot finish, the connection
/// limits (the sockets', per address, and Kestrel's for plain HTTP).
/// </summary>
public sealed class ServeWebTests
{
    [Fact]
    public async Task The_page_and_its_files_are_served_under_a_policy_that_loads_nothing_from_elsewhere()
    {
        var (cli, _, page) = await StartAsync();
        using var server = cli;
        using var http = new HttpClient { Timeout = Timeouts.Quick };

        using var index = await http.GetAsync(page);
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);
        string html = await index.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"chat.js\" defer></script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("://", html, StringComparison.Ordinal); // nothing from elsewhere
        string policy = string.Join(";", index.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal);

        using var script = await http.GetAsync(new Uri(page, "chat.js"));
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        using var style = await http.GetAsync(new Uri(page, "chat.css"));
        Assert.Equal("text/css", style.Content.Headers.ContentType?.MediaType);
        using var missing = await http.GetAsync(new Uri(page, "secret"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var plain = await http.GetAsync(new Uri(page, "chat"));
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode); // a WebSocket only

        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task A_socket_from_another_origin_is_refused_and_the_pages_own_and_the_listed_ones_are_taken()
    {
        var (cli, _, page) = await StartAsync("--web-origins", "https://chat.example.org");
        using var server = cli;

        var (status, refused) = await WebChatClient.TryConnectAsync(page, origin: "http://evil.example");
        Assert.Equal(403, status);
        Assert.Null(refused);
        (status, refused) = await WebChatClient.TryConnectAsync(page, origin: $"http://127.0.0.1:{page.Port + 1}"); // same host, another port: another origin
        Assert.Equal(403, status);

        using var own = await WebChatClient.ConnectAsync(page);
        await own.WaitForAsync(e => e.GetProperty("line").GetString()!.StartsWith("welcome", StringComparison.Ordinal), "the welcome");
        using var listed = await WebChatClient.ConnectAsync(page, origin: "https://chat.example.org");
        await listed.WaitForAsync(e => e.GetProperty("style").GetString() == "notice", "the welcome");
        using var none = await WebChatClient.ConnectAsync(page, origin: null); // not a browser: no Origin to check
        await none.WaitForAsync(e => e.GetProperty("style").GetString() == "notice", "the welcome");
        Assert.Contains("origin http://evil.example is not allowed", cli.Stderr, StringComparison.Ordinal);

        await cli.StopGracefullyAsync();
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("iterative")]
    [InlineData("forking")]
    public async Task Web_and_line_protocol_users_share_rooms_on_every_kind_of_engine(string engine)
    {
        var (cli, line, page) = await StartAsync("--engine", engine);
        using var server = cli;
        using var carol = await TestClient.ConnectAsync(line);
        await carol.SendAsync("/nick carol\n");
        await carol.ReadUntilAsync("*** you are carol, in #lobby");
        await carol.SendAsync("said before ann came\n");

        using var ann = await WebChatClient.ConnectAsync(page);
        await ann.SendAsync("/nick ann");
        var registered = await ann.WaitForAsync("registered");
        Assert.Equal("ann", registered.GetProperty("nick").GetString());
        Assert.Equal("lobby", registered.GetProperty("room").GetString());
        await carol.ReadUntilAsync("*** ann joined #lobby (2 here)");

        // History replayed to a newcomer is marked as such, with its time.
        await ann.SendAsync("/join lobby");
        await ann.WaitForAsync("alreadyInRoom");
        await ann.SendAsync("/join garden");
        await ann.WaitForAsync(e => e.GetProperty("kind").GetString() == "joined" && e.GetProperty("nick").GetString() == "ann", "ann's join");
        await carol.SendAsync("/join garden\n");
        await carol.ReadUntilAsync("*** carol joined #garden (2 here)", prefix: true);
        await carol.SendAsync("roses are red\n");
        var said = await ann.WaitForAsync("talk", "roses are red");
        Assert.Equal("carol", said.GetProperty("nick").GetString());
        Assert.Equal("garden", said.GetProperty("room").GetString());
        Assert.False(said.GetProperty("history").GetBoolean());
        Assert.True(DateTimeOffset.UtcNow - said.GetProperty("time").GetDateTimeOffset() < TimeSpan.FromMinutes(1));

        using var bob = await WebChatClient.JoinAsync(page, "bob");
        await bob.SendAsync("/join garden");
        var header = await bob.WaitForAsync("history");
        Assert.Equal(1, header.GetProperty("count").GetInt32());
        var replayed = await bob.NextAsync();
        Assert.Equal("talk", replayed!.Value.GetProperty("kind").GetString());
        Assert.Equal("roses are red", replayed.Value.GetProperty("text").GetString());
        Assert.True(replayed.Value.GetProperty("history").GetBoolean());

        // Both ways, /me and /msg.
        await ann.SendAsync("hello from the web");
        await carol.ReadUntilAsync("<ann> hello from the web");
        var echoed = await ann.WaitForAsync("talk", "hello from the web"); // the page's own talk comes back, once the hub took it
        Assert.Equal("ann", echoed.GetProperty("nick").GetString());
        await ann.SendAsync("/me waves");
        await carol.ReadUntilAsync("* ann waves");
        await carol.SendAsync("/msg ann psst\n");
        var whisper = await ann.WaitForAsync("private", "psst");
        Assert.Equal("private", whisper.GetProperty("style").GetString());
        Assert.Equal("carol", whisper.GetProperty("nick").GetString());
        await ann.SendAsync("/msg nobody hello?");
        var error = await ann.WaitForAsync("noSuchNick");
        Assert.Equal("error", error.GetProperty("style").GetString());
        Assert.Equal("no one is called nobody", error.GetProperty("line").GetString());

        // At shutdown the page is told goodbye, and its socket closes as going away.
        cli.Terminate();
        await ann.WaitForAsync(e => e.GetProperty("line").GetString() == "the server is shutting down; goodbye", "the goodbye");
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await ann.WaitForCloseAsync());
        Assert.Equal(0, await cli.WaitForExitAsync());
    }

    [Fact]
    public async Task An_overlong_message_is_refused_as_a_long_line_and_the_socket_stays()
    {
        var (cli, _, page) = await StartAsync("--max-line", "64");
        using var server = cli;
        using var ann = await WebChatClient.JoinAsync(page, "ann");

        await ann.SendAsync(new string('x', 65));
        var refused = await ann.NextAsync();
        Assert.Equal("error", refused!.Value.GetProperty("style").GetString());
        Assert.Equal("line too long (max 64 bytes)", refused.Value.GetProperty("line").GetString());

        // The limit itself is a line, and its line end does not count towards it: the next event is the line, said.
        foreach (string end in new[] { "", "\n", "\r\n" })
        {
            await ann.SendAsync(new string('y', 64) + end);
            var next = await ann.NextAsync();
            Assert.Equal("talk", next!.Value.GetProperty("kind").GetString());
            Assert.Equal(new string('y', 64), next.Value.GetProperty("text").GetString());
        }

        await ann.SendAsync(new string('y', 65) + "\n");
        refused = await ann.NextAsync();
        Assert.Equal("line too long (max 64 bytes)", refused!.Value.GetProperty("line").GetString());
        await ann.SendAsync("/who");
        var who = await ann.NextAsync();
        Assert.Equal("whoList", who!.Value.GetProperty("kind").GetString());
        Assert.Equal(["ann"], who.Value.GetProperty("names").EnumerateArray().Select(n => n.GetString()));

        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task A_flood_is_paced_at_the_rate()
    {
        // 20 lines a second, 40 at once: 80 lines take at least two seconds to be answered.
        var (cli, _, page) = await StartAsync("--rate", "20");
        using var server = cli;
        using var ann = await WebChatClient.JoinAsync(page, "ann");

        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 79; i++)
            await ann.SendAsync("/who");
        for (int answered = 0; answered < 79; answered++)
            await ann.WaitForAsync("whoList");
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.5), $"80 lines answered in {clock.Elapsed}, faster than 20 a second after 40");

        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task A_flood_past_the_queue_is_disconnected_with_the_reason()
    {
        var (cli, line, page) = await StartAsync("--rate", "1");
        using var server = cli;
        using var carol = await TestClient.ConnectAsync(line);
        await carol.SendAsync("/nick carol\n");
        await carol.ReadUntilAsync("*** you are carol, in #lobby");
        using var ann = await WebChatClient.JoinAsync(page, "ann");

        for (int i = 0; i < 110; i++)
            await ann.SendAsync($"flood {i}");
        var goodbye = await ann.WaitForAsync(e => e.GetProperty("style").GetString() == "error", "the goodbye");
        Assert.Equal("too many lines queued (max 100 lines); goodbye", goodbye.GetProperty("line").GetString());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await ann.WaitForCloseAsync());
        await carol.ReadUntilAsync("*** ann quit (connection closed)");

        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task A_silent_page_is_closed_after_the_idle_timeout_and_one_that_talks_is_not()
    {
        // At 4 lines a second (8 at once), the talker's questions are answered at the server's pace.
        var (cli, _, page) = await StartAsync("--idle-timeout", "2s", "--rate", "4");
        using var server = cli;
        using var quiet = await WebChatClient.JoinAsync(page, "quiet");
        using var talker = await WebChatClient.JoinAsync(page, "talker");
        var sinceQuietsLastEvent = Stopwatch.StartNew(); // the talker's join, sent to the quiet one before the talker's own registration

        // The talker asks who is here, the next question when the last is answered (an answer to
        // it alone: output to the quiet one would count as its activity, as the engines count it).
        var quietGone = quiet.WaitForCloseAsync();
        int answered = 0;
        bool quietLeft = false;
        while (!quietGone.IsCompleted)
        {
            Assert.True(answered < 200, "the quiet page was not closed after 200 answers to the other");
            await talker.SendAsync("/who");
            var answer = await talker.WaitForAsync(e => e.GetProperty("kind").GetString() is "whoList" or "dropped", "the answer");
            if (answer.GetProperty("kind").GetString() == "dropped")
            {
                quietLeft = true;
                await talker.WaitForAsync("whoList");
            }

            answered++;
        }

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await quietGone);
        Assert.Equal("idle timeout", quiet.Socket.CloseStatusDescription);
        Assert.True(sinceQuietsLastEvent.Elapsed >= TimeSpan.FromSeconds(1.5), $"closed {sinceQuietsLastEvent.Elapsed} after its last event, before its 2 s");
        Assert.True(answered > 8, $"closed after {answered} answers to the other, within its first burst");
        if (!quietLeft)
            await talker.WaitForAsync(e => e.GetProperty("kind").GetString() == "dropped" && e.GetProperty("nick").GetString() == "quiet", "the quiet one's leaving");
        await talker.SendAsync("/who");
        var who = await talker.WaitForAsync("whoList");
        Assert.Equal(["talker"], who.GetProperty("names").EnumerateArray().Select(n => n.GetString()));

        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task A_page_that_does_not_read_is_dropped_as_too_slow()
    {
        var (cli, line, page) = await StartAsync("--max-pending", "8192", "--rate", "1000", "--max-line", "2048");
        using var server = cli;
        using var slow = await WebChatClient.JoinAsync(page, "slow", receiveBufferSize: 4096);
        using var carol = await TestClient.ConnectAsync(line);
        await carol.SendAsync("/nick carol\n");
        await carol.ReadUntilAsync("*** you are carol, in #lobby");

        // 3 MB of talk (within carol's burst of 2000 lines) to a page that reads none of it: past the kernel's buffers, then its queue.
        string text = new('z', 2000);
        var lines = string.Concat(Enumerable.Range(0, 1500).Select(i => $"{i} {text}\n"));
        var sending = carol.SendAsync(lines);
        await carol.ReadUntilAsync("*** slow left (too slow)");
        await sending.WaitAsync(Timeouts.Patient);

        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task A_page_on_one_node_and_a_terminal_on_another_share_a_room_through_the_redis_hub()
    {
        await using var redis = await RedisServer.StartAsync();
        var (cli, _, page) = await StartAsync("--hub", redis.Url);
        using var server = cli;
        using var other = CliProcess.Start("serve", "chat", "--port", "0", "--hub", redis.Url);
        var (line, _) = await other.ReadListeningLineAsync();

        using var ann = await WebChatClient.JoinAsync(page, "ann");
        using var carol = await TestClient.ConnectAsync(line);
        await carol.SendAsync("/nick carol\n");
        await carol.ReadUntilAsync("*** you are carol, in #lobby");
        await ann.WaitForAsync(e => e.GetProperty("kind").GetString() == "joined" && e.GetProperty("nick").GetString() == "carol", "carol's join");

        await ann.SendAsync("hello across nodes");
        await carol.ReadUntilAsync("<ann> hello across nodes");
        await carol.SendAsync("and back\n");
        var said = await ann.WaitForAsync("talk", "and back");
        Assert.Equal("carol", said.GetProperty("nick").GetString());

        await cli.StopGracefullyAsync();
        await other.StopGracefullyAsync();
    }

    [Fact]
    public async Task A_page_that_reads_nothing_cannot_hold_its_socket_by_closing_quitting_or_at_shutdown()
    {
        // One socket at a time: each page that ends must give its slot back. Its queue stays far under
        // --max-pending (and no soft limit): only the close's deadline, the shutdown timeout, ends it.
        var (cli, line, page) = await StartAsync(
            "--max-connections", "1", "--max-pending", "67108864", "--max-pending-soft", "0", "--max-pending-total", "0",
            "--rate", "100000", "--max-line", "4096", "--shutdown-timeout", "1s");
        using var server = cli;
        using var carol = await CarolAsync(line);

        // Its own close frame goes out (the server reads), and the server's answer cannot, behind megabytes the page does not read.
        using (var closing = await StuckPageAsync(page, carol, "closer"))
        {
            using var cts = new CancellationTokenSource(Timeouts.Quick);
            await closing.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
            await carol.ReadUntilAsync("*** closer quit (connection closed)");
        }

        // /quit: the room hears it at once; the bye waits behind the rest, and the socket is cut off at the deadline.
        using (var quitter = await StuckPageAsync(page, carol, "quitter"))
        {
            await quitter.SendAsync("/quit");
            await carol.ReadUntilAsync("*** quitter quit", prefix: true);
            using var next = await WebChatClient.ConnectWhenFreeAsync(page); // the slot came back
        }

        // At shutdown: the server stops within its timeout, not after the page.
        using var stuck = await StuckPageAsync(page, carol, "stuck", waitForSlot: true);
        var stopping = Stopwatch.StartNew();
        await cli.StopGracefullyAsync();
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(4.5), $"stopped in {stopping.Elapsed} with a shutdown timeout of 1 s");
    }

    [Fact]
    public async Task Events_that_wait_for_a_page_go_out_together_as_arrays_in_order()
    {
        var (cli, line, page) = await StartAsync("--max-pending", "67108864", "--max-pending-soft", "0", "--rate", "100000", "--max-line", "4096");
        using var server = cli;
        using var carol = await CarolAsync(line);

        // 4000 lines wait for a page that reads none of them until all were said: then it reads them all, in fewer messages.
        using var late = await StuckPageAsync(page, carol, "late");
        int before = late.Messages;
        for (int i = 0; i < 4000; i++)
        {
            var said = await late.WaitForAsync(e => e.GetProperty("kind").GetString() == "talk", $"line {i}");
            Assert.StartsWith($"{i} zzz", said.GetProperty("text").GetString(), StringComparison.Ordinal);
        }

        Assert.True(late.Messages - before < 4000 / 2, $"4000 events in {late.Messages - before} messages");
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task A_page_over_the_soft_limit_for_its_time_is_dropped_as_too_slow()
    {
        var (cli, line, page) = await StartAsync(
            "--max-pending", "67108864", "--max-pending-soft", "65536", "--max-pending-soft-seconds", "1s", "--max-pending-total", "0",
            "--rate", "100000", "--max-line", "4096");
        using var server = cli;
        using var carol = await CarolAsync(line);
        using var slow = await StuckPageAsync(page, carol, "slow", waitForQueue: false);
        await carol.ReadUntilAsync("*** slow left (too slow)");
        Assert.Contains("over the soft limit of 65536", cli.Stderr, StringComparison.Ordinal);

        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task Over_the_sockets_total_the_biggest_queue_is_dropped_as_too_slow()
    {
        var (cli, line, page) = await StartAsync(
            "--max-pending", "67108864", "--max-pending-soft", "0", "--max-pending-total", "1048576", "--rate", "100000", "--max-line", "4096");
        using var server = cli;
        using var carol = await CarolAsync(line);
        using var reader = await WebChatClient.JoinAsync(page, "reader"); // reads all it is sent, in another room
        await reader.SendAsync("/join garden");
        await reader.WaitForAsync(e => e.GetProperty("kind").GetString() == "joined" && e.GetProperty("nick").GetString() == "reader", "the reader's join");

        using var slow = await StuckPageAsync(page, carol, "slow", waitForQueue: false);
        try
        {
            await carol.ReadUntilAsync("*** slow left (too slow)");
        }
        catch (OperationCanceledException)
        {
            Assert.Fail(cli.Stderr);
        }

        Assert.Contains("all web sockets' pending output", cli.Stderr, StringComparison.Ordinal);
        await reader.SendAsync("/who");
        var who = await reader.WaitForAsync("whoList");
        Assert.Equal(["reader"], who.GetProperty("names").EnumerateArray().Select(n => n.GetString()));

        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task Refusals_say_why_and_the_slots_come_back_when_the_sockets_close()
    {
        var (cli, _, page) = await StartAsync("--max-connections", "2");
        using var server = cli;
        for (int round = 0; round < 2; round++)
        {
            // Up to the limit (again, after closing them: nothing stays counted), and one more is refused.
            using var first = round == 0 ? await WebChatClient.ConnectAsync(page) : await WebChatClient.ConnectWhenFreeAsync(page);
            using var second = round == 0 ? await WebChatClient.ConnectAsync(page) : await WebChatClient.ConnectWhenFreeAsync(page);
            var (status, refused) = await WebChatClient.TryConnectAsync(page);
            Assert.Equal(503, status);
            Assert.Null(refused);
            foreach (var open in new[] { first, second })
            {
                using var cts = new CancellationTokenSource(Timeouts.Quick);
                await open.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
            }
        }

        await cli.StopGracefullyAsync();

        // One per address (loopback not exempt): the second from the same address is refused with 429.
        (cli, _, page) = await StartAsync("--max-connections-per-ip", "1", "--limit-exempt", "");
        using var perAddress = cli;
        for (int round = 0; round < 2; round++)
        {
            using var one = round == 0 ? await WebChatClient.ConnectAsync(page) : await WebChatClient.ConnectWhenFreeAsync(page);
            var (status, _) = await WebChatClient.TryConnectAsync(page);
            Assert.Equal(429, status);
            using var cts = new CancellationTokenSource(Timeouts.Quick);
            await one.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
        }

        Assert.Contains("too many connections from your address (1)", cli.Stderr, StringComparison.Ordinal);
        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task Plain_http_connections_are_limited_too()
    {
        var (cli, _, page) = await StartAsync("--max-connections", "2");
        using var server = cli;
        using var first = await HttpKeptAliveAsync(page);
        using var second = await HttpKeptAliveAsync(page);
        Assert.NotNull(first);
        Assert.NotNull(second);

        // Two idle keep-alive connections are the limit: the next is closed unanswered.
        using (var third = await HttpKeptAliveAsync(page))
            Assert.Null(third);

        first.Dispose();
        var deadline = DateTime.UtcNow + Timeouts.Quick;
        Socket? again;
        while ((again = await HttpKeptAliveAsync(page)) is null)
            Assert.True(DateTime.UtcNow < deadline, "no connection was taken after one of the two closed");
        again.Dispose();

        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task A_page_reached_by_a_name_not_of_this_server_is_refused_against_dns_rebinding()
    {
        var (cli, _, page) = await StartAsync("--web-origins", "https://chat.example.org");
        using var server = cli;
        int port = page.Port;

        // Another site whose name its DNS points here: its page's origin is the Host it reached us by.
        var (status, _) = await WebChatClient.TryConnectAsync(page, origin: $"http://evil.example:{port}", host: $"evil.example:{port}");
        Assert.Equal(403, status);
        // The log line is written by the console logger's own thread: wait for it, it may follow the 403.
        await cli.StderrLines.WaitUntilAsync(l => l.Any(x => x.Contains($"origin http://evil.example:{port} is not allowed", StringComparison.Ordinal)), Timeouts.Quick, "the refusal's log line");

        // localhost, an address, and a name of --web-origins are this server's.
        foreach (string host in new[] { $"localhost:{port}", $"127.0.0.1:{port}", $"chat.example.org:{port}" })
        {
            var (taken, client) = await WebChatClient.TryConnectAsync(page, origin: $"http://{host}", host: host);
            Assert.True(taken == 101, $"{host}: HTTP {taken}");
            client!.Dispose();
        }

        await cli.StopGracefullyAsync();
    }

    /// <summary>carol, on the line protocol, in #lobby.</summary>
    private static async Task<TestClient> CarolAsync(IPEndPoint line)
    {
        var carol = await TestClient.ConnectAsync(line);
        await carol.SendAsync("/nick carol\n");
        await carol.ReadUntilAsync("*** you are carol, in #lobby");
        return carol;
    }

    /// <summary>
    /// A page named <paramref name="name"/> in carol's room that reads nothing, with 8 MB of carol's
    /// talk sent to it: past the kernel's buffers (the server's socket's grows to 4 MB), the rest
    /// waits in the server's queue, and its writer waits for room. With <paramref name="waitForQueue"/>, carol's /who is answered first: every line was
    /// queued. With <paramref name="waitForSlot"/>, it connects once a slot is free.
    /// </summary>
    private static async Task<WebChatClient> StuckPageAsync(Uri page, TestClient carol, string name, bool waitForQueue = true, bool waitForSlot = true)
    {
        var stuck = waitForSlot ? await WebChatClient.ConnectWhenFreeAsync(page, receiveBufferSize: 4096) : await WebChatClient.ConnectAsync(page, receiveBufferSize: 4096);
        await stuck.SendAsync($"/nick {name}");
        await stuck.WaitForAsync("registered");
        await carol.ReadUntilAsync($"*** {name} joined #lobby (2 here)");
        string text = new('z', 2000);
        await carol.SendAsync(string.Concat(Enumerable.Range(0, 4000).Select(i => $"{i} {text}\n")) + (waitForQueue ? "/who\n" : ""));
        if (waitForQueue)
            await carol.ReadUntilAsync("*** in #lobby: ", prefix: true);
        return stuck;
    }

    /// <summary>A connection that fetched the page's style and stays open (keep-alive); null if the server closed it unanswered.</summary>
    private static async Task<Socket?> HttpKeptAliveAsync(Uri page)
    {
        var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(Timeouts.Quick);
        try
        {
            await tcp.ConnectAsync(new IPEndPoint(IPAddress.Parse(page.Host), page.Port), cts.Token);
            await tcp.SendAsync(Encoding.ASCII.GetBytes($"GET /chat.css HTTP/1.1\r\nHost: {page.Authority}\r\n\r\n"), cts.Token);
            var buffer = new byte[64 * 1024];
            int read = await tcp.ReceiveAsync(buffer, cts.Token);
            if (read > 0 && Encoding.ASCII.GetString(buffer, 0, read).StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
                return tcp;
        }
        catch (SocketException)
        {
            // reset: not taken
        }

        tcp.Dispose();
        return null;
    }

    /// <summary>Starts <c>serve chat</c> with a web page on a free port; returns the line protocol's address and the page's.</summary>
    private static async Task<(CliProcess Cli, IPEndPoint Line, Uri Page)> StartAsync(params string[] more)
    {
        var cli = CliProcess.Start(["serve", "chat", "--port", "0", "--web", "127.0.0.1:0", .. more]);
        var (line, _) = await cli.ReadListeningLineAsync();
        var page = await cli.ReadWebLineAsync();
        Assert.Equal(IPAddress.Loopback.ToString(), page.Host);
        return (cli, line, page);
    }
}
