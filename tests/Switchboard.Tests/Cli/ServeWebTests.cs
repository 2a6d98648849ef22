using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// <c>serve chat --web</c> without a browser: the page's files, and its WebSocket driven by a
/// client of the test's (<see cref="WebChatClient"/>) beside a line-protocol client, against the
/// line protocol's protections: origin, line limit, flood control, slow readers.
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

        using var bob = await WebChatClient.ConnectAsync(page);
        await bob.SendAsync("/nick bob");
        await bob.WaitForAsync("registered");
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
        using var ann = await WebChatClient.ConnectAsync(page);
        await ann.SendAsync("/nick ann");
        await ann.WaitForAsync("registered");

        await ann.SendAsync(new string('x', 65));
        var refused = await ann.WaitForAsync(e => e.GetProperty("style").GetString() == "error", "an error");
        Assert.Equal("line too long (max 64 bytes)", refused.GetProperty("line").GetString());
        await ann.SendAsync(new string('y', 64)); // the limit itself is a line
        await ann.SendAsync("/who");
        var who = await ann.WaitForAsync("whoList");
        Assert.Equal(["ann"], who.GetProperty("names").EnumerateArray().Select(n => n.GetString()));

        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task A_flood_is_paced_at_the_rate()
    {
        // 20 lines a second, 40 at once: 80 lines take at least two seconds to be answered.
        var (cli, _, page) = await StartAsync("--rate", "20");
        using var server = cli;
        using var ann = await WebChatClient.ConnectAsync(page);
        await ann.SendAsync("/nick ann");
        await ann.WaitForAsync("registered");

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
        using var ann = await WebChatClient.ConnectAsync(page);
        await ann.SendAsync("/nick ann");
        await ann.WaitForAsync("registered");

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
        var (cli, line, page) = await StartAsync("--idle-timeout", "2s");
        using var server = cli;
        using var quiet = await WebChatClient.ConnectAsync(page);
        await quiet.SendAsync("/nick quiet");
        await quiet.WaitForAsync("registered");
        using var talker = await WebChatClient.ConnectAsync(page);
        await talker.SendAsync("/nick talker");
        await talker.WaitForAsync("registered");

        // The talker asks who is here every half second (an answer to it alone: output to the quiet
        // one would count as its activity, as the engines count it): it outlives the quiet one.
        var quietGone = quiet.WaitForCloseAsync();
        int said = 0;
        while (!quietGone.IsCompleted)
        {
            Assert.True(said < 40, "the quiet page was not closed within 20 s");
            await talker.SendAsync("/who");
            said++;
            await Task.WhenAny(quietGone, Task.Delay(500)); // the talker's pace; the loop ends on the close
        }

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await quietGone);
        Assert.Equal("idle timeout", quiet.Socket.CloseStatusDescription);
        Assert.True(said >= 3, $"closed after {said} of the other's lines, before its 2 s");
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
        using var slow = await WebChatClient.ConnectAsync(page, receiveBufferSize: 4096);
        await slow.SendAsync("/nick slow");
        await slow.WaitForAsync("registered");
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

        using var ann = await WebChatClient.ConnectAsync(page);
        await ann.SendAsync("/nick ann");
        await ann.WaitForAsync("registered");
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
