using System.Net;
using Microsoft.Playwright;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Cli;

/// <summary>
/// <c>serve chat --web</c> in a real browser: Debian's chromium, headless, driven by Playwright
/// (which never downloads a browser of its own: it is given /usr/bin/chromium). Two people on the
/// page and one on the line protocol share rooms; then the server restarts and the pages come back
/// by themselves; a page whose connection drops while the server still holds its name waits for the
/// name; the page over HTTPS and WSS. A screenshot of the page is kept under TestResults/web/.
/// </summary>
public sealed class WebPageBrowserTests
{
    /// <summary>Debian's chromium (test.sh installs it).</summary>
    public const string Chromium = "/usr/bin/chromium";

    private static readonly LocatorAssertionsToContainTextOptions Patiently = new() { Timeout = (float)Timeouts.Patient.TotalMilliseconds };

    [Fact]
    public async Task Two_pages_and_a_terminal_talk_switch_rooms_replay_history_whisper_and_survive_a_restart()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: test.sh installs it (apt-get install chromium)");
        int webPort = ManagedSockets.FreePort();
        string[] serve = ["serve", "chat", "--port", "0", "--web", $"127.0.0.1:{webPort}", "--max-line", "200"];
        var cli = CliProcess.Start(serve);
        try
        {
            var (line, _) = await cli.ReadListeningLineAsync();
            var page = await cli.ReadWebLineAsync();
            Assert.Equal(webPort, page.Port);

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--no-sandbox"], // root, in a container
            });

            // Each person has a browser context of their own (their own session storage).
            var ann = await OpenAsync(browser, page, "ann");
            var bob = await OpenAsync(browser, page, "bob");
            using var carol = await TestClient.ConnectAsync(line);
            await carol.SendAsync("/nick carol\n");
            await carol.ReadUntilAsync("*** you are carol, in #lobby");

            // The member lists follow who is here.
            await Assertions.Expect(ann.Locator("#members")).ToContainTextAsync("carol", Patiently);
            await Assertions.Expect(ann.Locator("#members")).ToContainTextAsync("bob", Patiently);

            // Both ways between the page and the terminal.
            await carol.SendAsync("hello from the terminal\n");
            await Assertions.Expect(ann.Locator("#log .msg.talk").Last).ToContainTextAsync("hello from the terminal", Patiently);
            await Assertions.Expect(bob.Locator("#log .msg.talk").Last).ToContainTextAsync("hello from the terminal", Patiently);
            await SayAsync(ann, "hello from the browser");
            await carol.ReadUntilAsync("<ann> hello from the browser");
            await Assertions.Expect(ann.Locator("#log .msg.talk.mine")).ToContainTextAsync("hello from the browser", Patiently); // as the server sent it back
            await Assertions.Expect(bob.Locator("#log .msg.talk").Last).ToContainTextAsync("hello from the browser", Patiently);
            await SayAsync(ann, "/me waves");
            await carol.ReadUntilAsync("* ann waves");

            // carol says something in #garden before ann comes: ann sees it as history, marked, with its time.
            await carol.SendAsync("/join garden\n");
            await carol.ReadUntilAsync("*** carol joined #garden (1 here)");
            await carol.SendAsync("roses are red\n");
            await Assertions.Expect(ann.Locator("#rooms")).ToContainTextAsync("#garden", Patiently);
            await ann.Locator("#rooms button", new PageLocatorOptions { HasText = "#garden" }).ClickAsync();
            await Assertions.Expect(ann.Locator("#room-title")).ToContainTextAsync("#garden", Patiently);
            var history = ann.Locator("#log .msg.history");
            await Assertions.Expect(history).ToContainTextAsync("roses are red", Patiently);
            await Assertions.Expect(history.Locator(".tag")).ToContainTextAsync("earlier", Patiently);
            await Assertions.Expect(history.Locator("time")).ToHaveAttributeAsync("datetime", new System.Text.RegularExpressions.Regex("^\\d{4}-\\d\\d-\\d\\dT"));
            await Assertions.Expect(ann.Locator("#members")).ToContainTextAsync("carol", Patiently);
            await carol.ReadUntilAsync("*** ann joined #garden (2 here)");

            // A private message, from the other page: shown apart from talk.
            await SayAsync(bob, "/msg ann psst, over here");
            await Assertions.Expect(ann.Locator("#log .msg.private")).ToContainTextAsync("psst, over here", Patiently);
            await Assertions.Expect(bob.Locator("#log .msg.private")).ToContainTextAsync("to ann: psst, over here", Patiently);

            // An error is shown as one.
            await SayAsync(ann, "/msg nobody hello?");
            await Assertions.Expect(ann.Locator("#log .msg.error").Last).ToContainTextAsync("no one is called nobody", Patiently);

            // Talk the server refuses is never shown as said.
            await SayAsync(ann, new string('x', 300));
            await Assertions.Expect(ann.Locator("#log .msg.error").Last).ToContainTextAsync("line too long (max 200 bytes)", Patiently);
            await Assertions.Expect(ann.Locator("#log .msg.talk", new PageLocatorOptions { HasText = "xxxxxxxxxx" })).ToHaveCountAsync(0);
            await Assertions.Expect(ann.Locator("#log .msg.talk", new PageLocatorOptions { HasText = "hello from the browser" })).ToHaveCountAsync(1);

            await SayAsync(ann, "the garden is lovely");
            await carol.ReadUntilAsync("<ann> the garden is lovely");
            await ann.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath("chat-page.png"), FullPage = true });

            // The server restarts: both pages reconnect by themselves, with their names, ann back in #garden.
            await cli.StopGracefullyAsync();
            cli.Dispose();
            await Assertions.Expect(ann.Locator("#log .msg.error").Last).ToContainTextAsync("disconnected", Patiently);
            cli = CliProcess.Start(serve);
            (line, _) = await cli.ReadListeningLineAsync();
            Assert.Equal(page, await cli.ReadWebLineAsync());
            using var carolAgain = await TestClient.ConnectAsync(line);
            await carolAgain.SendAsync("/nick carol\n");
            await carolAgain.ReadUntilAsync("*** you are carol, in #lobby");
            await carolAgain.SendAsync("/join garden\n");
            await carolAgain.ReadUntilAsync("*** carol joined #garden", prefix: true);
            foreach (var again in new[] { ann, bob })
                await Assertions.Expect(again.Locator("#log .msg[data-kind=registered]")).ToHaveCountAsync(2, new() { Timeout = (float)Timeouts.Patient.TotalMilliseconds });
            await Assertions.Expect(ann.Locator("#me")).ToHaveTextAsync("ann");
            await Assertions.Expect(ann.Locator("#room-title")).ToHaveTextAsync("#garden", new() { Timeout = (float)Timeouts.Patient.TotalMilliseconds });
            await Assertions.Expect(ann.Locator("#members")).ToContainTextAsync("carol", Patiently);
            await carolAgain.SendAsync("welcome back\n");
            await Assertions.Expect(ann.Locator("#log .msg.talk").Last).ToContainTextAsync("welcome back", Patiently);
            await Assertions.Expect(bob.Locator("#me")).ToHaveTextAsync("bob");
            await SayAsync(ann, "glad to be back");
            await carolAgain.ReadUntilAsync("<ann> glad to be back");

            await cli.StopGracefullyAsync();
        }
        finally
        {
            cli.Dispose();
        }
    }

    [Fact]
    public async Task A_page_whose_connection_drops_waits_for_its_name_while_the_server_still_holds_it()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: test.sh installs it (apt-get install chromium)");
        using var cli = CliProcess.Start("serve", "chat", "--port", "0", "--web", "127.0.0.1:0");
        var (line, _) = await cli.ReadListeningLineAsync();
        var url = await cli.ReadWebLineAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();

        // Every socket of the page goes through the test, which can drop the page's side alone: the
        // server then still holds the old member, and its name, as it does until it finds a dropped
        // connection gone (its pings unanswered, or its close's deadline).
        var sockets = new List<(IWebSocketRoute Page, IWebSocketRoute Server)>();
        var secondSocket = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteWebSocketAsync(new System.Text.RegularExpressions.Regex("/chat$"), socket =>
        {
            var server = socket.ConnectToServer();
            lock (sockets)
            {
                if (sockets.Count == 0)
                {
                    // The first: a close of either side is not passed on to the other.
                    socket.OnClose((_, _) => { });
                    server.OnClose((_, _) => { });
                }

                sockets.Add((socket, server));
                if (sockets.Count == 2)
                    secondSocket.SetResult();
            }
        });
        await page.GotoAsync(url.ToString());
        await page.Locator("#name").FillAsync("ann");
        await page.Locator("#name-form button").ClickAsync();
        await Assertions.Expect(page.Locator("#me")).ToHaveTextAsync("ann", new() { Timeout = (float)Timeouts.Patient.TotalMilliseconds });
        using var carol = await TestClient.ConnectAsync(line);
        await carol.SendAsync("/nick carol\n");
        await carol.ReadUntilAsync("*** you are carol, in #lobby");

        (IWebSocketRoute Page, IWebSocketRoute Server) first;
        lock (sockets)
            first = sockets[0];
        await first.Page.CloseAsync(new WebSocketRouteCloseOptions { Code = 4000, Reason = "dropped by the test" });
        await secondSocket.Task.WaitAsync(Timeouts.Patient);

        // The page is back, its name still held: it says so, and asks again.
        await Assertions.Expect(page.Locator("#name-error")).ToContainTextAsync("trying again", Patiently);

        // The server lets the old connection go: the page gets its name back, by itself.
        await first.Server.CloseAsync();
        await carol.ReadUntilAsync("*** ann quit (connection closed)");
        await Assertions.Expect(page.Locator("#log .msg[data-kind=registered]")).ToHaveCountAsync(2, new() { Timeout = (float)Timeouts.Patient.TotalMilliseconds });
        await Assertions.Expect(page.Locator("#me")).ToHaveTextAsync("ann");
        await carol.ReadUntilAsync("*** ann joined #lobby (2 here)");

        await cli.StopGracefullyAsync();
    }

    [Fact]
    public async Task Over_HTTPS_the_page_talks_through_WSS_with_a_terminal_on_TLS()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: test.sh installs it (apt-get install chromium)");
        using var certificate = TestCertificate.Create();
        using var cli = CliProcess.Start("serve", "chat", "--port", "0", "--web", "127.0.0.1:0", "--tls-cert", certificate.CertPath, "--tls-key", certificate.KeyPath);
        var (line, _) = await cli.ReadListeningLineAsync();
        var url = await cli.ReadWebLineAsync();
        Assert.Equal("https", url.Scheme);

        // The browser trusts exactly the test's certificate, by its public key's hash, and no other
        // (without the flag, chromium refuses the page: net::ERR_CERT_AUTHORITY_INVALID).
        string spki = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(certificate.Certificate.PublicKey.ExportSubjectPublicKeyInfo()));
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", $"--ignore-certificate-errors-spki-list={spki}"],
        });
        var ann = await OpenAsync(browser, url, "ann");
        Assert.StartsWith("https://", ann.Url, StringComparison.Ordinal);

        using var socat = CliProcess.StartTool("socat", "-", $"OPENSSL:127.0.0.1:{line.Port},cafile={certificate.CertPath},verify=1");
        await socat.WriteInputAsync("/nick carol\n");
        await socat.ReadUntilAsync("*** you are carol, in #lobby");
        await SayAsync(ann, "hello over wss");
        await socat.ReadUntilAsync("<ann> hello over wss");
        await socat.WriteInputAsync("hello over tls\n");
        await Assertions.Expect(ann.Locator("#log .msg.talk").Last).ToContainTextAsync("hello over tls", Patiently);
        await cli.StopGracefullyAsync();
    }

    /// <summary>A page of its own browser context, with <paramref name="name"/> chosen.</summary>
    private static async Task<IPage> OpenAsync(IBrowser browser, Uri url, string name)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 640 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(url.ToString());
        await page.Locator("#name").FillAsync(name);
        await page.Locator("#name-form button").ClickAsync();
        await Assertions.Expect(page.Locator("#me")).ToHaveTextAsync(name, new() { Timeout = (float)Timeouts.Patient.TotalMilliseconds });
        await Assertions.Expect(page.Locator("#members")).ToContainTextAsync(name, Patiently);
        return page;
    }

    private static async Task SayAsync(IPage page, string text)
    {
        await page.Locator("#say").FillAsync(text);
        await page.Locator("#say").PressAsync("Enter");
    }

    /// <summary>Under the test results (TestResults/web/ at the checkout's root), made if missing.</summary>
    private static string ScreenshotPath(string name)
    {
        string directory = Path.Combine(Repository.Root, "TestResults", "web");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, name);
    }
}
