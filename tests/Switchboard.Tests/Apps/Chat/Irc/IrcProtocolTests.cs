using System.Globalization;
using System.Text.RegularExpressions;
using Switchboard.Apps.Chat;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat.Irc;

/// <summary>
/// IRC over real sockets, beside the line protocol on the same hub: registration, every command
/// and numeric the front-end answers, what IRC and line users see of each other, and bad input.
/// </summary>
public sealed class IrcProtocolTests
{
    public static TheoryData<string> Engines => new(TestEngines.InProcess.Where(e => e.ServesConcurrently).Select(e => e.Name));

    [Fact]
    public async Task Capability_negotiation_holds_the_welcome_until_CAP_END_which_then_says_what_the_server_supports()
    {
        await using var servers = IrcServers.Start();
        using var alice = await IrcUser.ConnectAsync(servers.Irc);

        await alice.SendAsync("CAP LS 302", "NICK alice", "USER alice 0 * :Alice");
        await alice.NextIsAsync(":switchboard CAP * LS :echo-message server-time");
        Assert.Empty(await alice.SyncAsync()); // NICK and USER are in, but negotiation is not over
        await alice.SendAsync("CAP REQ :server-time echo-message", "CAP REQ :sasl", "CAP END");

        await alice.NextIsAsync(":switchboard CAP * ACK :server-time echo-message");
        await alice.NextIsAsync(":switchboard CAP * NAK :sasl");
        await alice.NextIsAsync(":switchboard 001 alice :Welcome to the Switchboard IRC network, alice");
        await alice.ExpectAsync("^:switchboard 002 alice ");
        await alice.ExpectAsync("^:switchboard 003 alice ");
        await alice.ExpectAsync("^:switchboard 004 alice switchboard ");
        string isupport = await alice.ExpectAsync("^:switchboard 005 alice ");
        foreach (string token in new[] { "CASEMAPPING=ascii", "CHANTYPES=#", "NICKLEN=20", "CHANNELLEN=21", "NETWORK=Switchboard" })
            Assert.Contains($" {token} ", isupport, StringComparison.Ordinal);
        await alice.NextIsAsync(":switchboard 422 alice :MOTD File is missing");
    }

    [Fact]
    public async Task Without_CAP_registration_completes_on_NICK_and_USER_in_either_order_and_PASS_is_accepted()
    {
        await using var servers = IrcServers.Start();
        using var alice = await IrcUser.ConnectAsync(servers.Irc);

        await alice.SendAsync("PASS whatever", "USER alice 0 * :Alice", "NICK alice");

        await alice.NextIsAsync(":switchboard 001 alice :Welcome to the Switchboard IRC network, alice");
        await alice.ExpectAsync("^:switchboard 422 alice ");
        await alice.SendAsync("PASS again", "USER again 0 * :x");
        Assert.Equal([":switchboard 462 alice :You may not reregister", ":switchboard 462 alice :You may not reregister"], await alice.SyncAsync());
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task An_IRC_user_and_a_line_user_talk_and_act_both_ways_in_one_room(string engine)
    {
        await using var servers = IrcServers.Start(engine);
        using var bob = await servers.LineUserAsync("bob");
        using var alice = await IrcUser.RegisterAsync(servers.Irc, "alice");

        await alice.SendAsync("JOIN #lobby");
        await alice.NextIsAsync(":alice!alice@switchboard JOIN #lobby");
        await alice.NextIsAsync(":switchboard 353 alice = #lobby :alice bob");
        await alice.NextIsAsync(":switchboard 366 alice #lobby :End of /NAMES list");
        await bob.ReadUntilAsync("*** alice joined #lobby (2 here)");

        await alice.SendAsync("PRIVMSG #lobby :hello from irc", "PRIVMSG #lobby :\u0001ACTION waves\u0001");
        await bob.ReadUntilAsync("<alice> hello from irc");
        Assert.Equal("* alice waves", await bob.ReadLineAsync());
        Assert.Empty(await alice.SyncAsync()); // neither her talk nor her action comes back: her client shows them

        await bob.SendAsync("hello from a line user\n/me grins\n");
        await alice.NextIsAsync(":bob!bob@switchboard PRIVMSG #lobby :hello from a line user");
        await alice.NextIsAsync(":bob!bob@switchboard PRIVMSG #lobby :\u0001ACTION grins\u0001");
    }

    [Fact]
    public async Task With_echo_message_the_IRC_users_own_talk_action_and_private_message_come_back_in_order()
    {
        await using var servers = IrcServers.Start();
        using var bob = await servers.LineUserAsync("bob");
        using var alice = await IrcUser.ConnectAsync(servers.Irc);
        await alice.SendAsync("CAP REQ echo-message", "NICK alice", "USER alice 0 * :A", "CAP END", "JOIN #lobby");
        await alice.ExpectAsync("^:switchboard 366 alice #lobby ");

        await alice.SendAsync("PRIVMSG #lobby :one", "PRIVMSG #lobby :\u0001ACTION two\u0001", "PRIVMSG bob :three");

        await alice.NextIsAsync(":alice!alice@switchboard PRIVMSG #lobby :one");
        await alice.NextIsAsync(":alice!alice@switchboard PRIVMSG #lobby :\u0001ACTION two\u0001");
        await alice.NextIsAsync(":alice!alice@switchboard PRIVMSG bob :three");
    }

    [Fact]
    public async Task Private_messages_cross_both_ways_and_one_to_no_one_is_401()
    {
        await using var servers = IrcServers.Start();
        using var bob = await servers.LineUserAsync("bob");
        using var alice = await IrcUser.RegisterAsync(servers.Irc, "alice");

        await alice.SendAsync("PRIVMSG BOB :psst", "PRIVMSG carol :anyone?");
        await bob.ReadUntilAsync("*alice* psst");
        Assert.Equal([":switchboard 401 alice carol :No such nick/channel"], await alice.SyncAsync());

        await bob.SendAsync("/msg alice back at you\n");
        await alice.NextIsAsync(":bob!bob@switchboard PRIVMSG alice :back at you");
    }

    [Fact]
    public async Task A_rename_reaches_both_sides_and_a_taken_look_alike_or_malformed_nick_is_refused_with_its_numeric()
    {
        await using var servers = IrcServers.Start();
        using var bob = await servers.LineUserAsync("bob");
        using var alice = await IrcUser.RegisterAsync(servers.Irc, "alice");
        await alice.SendAsync("JOIN #lobby");
        await alice.ExpectAsync("^:switchboard 366 ");
        await bob.ReadUntilAsync("*** alice joined #lobby (2 here)");

        await alice.SendAsync("NICK alicia", "NICK BOB", "NICK b0b", "NICK bad!name", "NICK");

        await alice.NextIsAsync(":alice!alice@switchboard NICK :alicia");
        await alice.NextIsAsync(":switchboard 433 alicia BOB :Nickname is already in use");
        await alice.NextIsAsync(":switchboard 433 alicia b0b :Nickname is too like bob's; choose another");
        await alice.ExpectAsync("^:switchboard 432 alicia bad!name :Erroneous nickname");
        await alice.NextIsAsync(":switchboard 431 alicia :No nickname given");
        await bob.ReadUntilAsync("*** alice is now known as alicia");
        await bob.SendAsync("/nick robert\n");
        await alice.NextIsAsync(":bob!bob@switchboard NICK :robert");
    }

    [Fact]
    public async Task A_nick_taken_at_registration_is_433_and_a_second_NICK_completes_it()
    {
        await using var servers = IrcServers.Start();
        using var bob = await servers.LineUserAsync("bob");
        using var other = await IrcUser.ConnectAsync(servers.Irc);

        await other.SendAsync("NICK bob", "USER b 0 * :B");
        await other.NextIsAsync(":switchboard 433 * bob :Nickname is already in use");
        await other.SendAsync("JOIN #lobby");
        await other.NextIsAsync(":switchboard 451 * :You have not registered");
        await other.SendAsync("NICK bob2");
        await other.NextIsAsync(":switchboard 001 bob2 :Welcome to the Switchboard IRC network, bob2");
    }

    [Fact]
    public async Task Part_with_a_message_is_told_to_the_room_and_then_talk_there_is_442()
    {
        await using var servers = IrcServers.Start();
        using var bob = await servers.LineUserAsync("bob");
        using var alice = await IrcUser.RegisterAsync(servers.Irc, "alice");
        await alice.SendAsync("JOIN #lobby");
        await alice.ExpectAsync("^:switchboard 366 ");

        await alice.SendAsync("PART #lobby :off to lunch", "PRIVMSG #lobby :still here?", "PART #lobby");

        await alice.NextIsAsync(":alice!alice@switchboard PART #lobby :off to lunch");
        await alice.NextIsAsync(":switchboard 442 alice #lobby :You're not on that channel");
        await alice.NextIsAsync(":switchboard 442 alice #lobby :You're not on that channel");
        await bob.ReadUntilAsync("*** alice left #lobby: off to lunch");
    }

    [Fact]
    public async Task Quit_closes_after_ERROR_and_the_room_is_told_the_quit_message()
    {
        await using var servers = IrcServers.Start();
        using var bob = await servers.LineUserAsync("bob");
        using var alice = await IrcUser.RegisterAsync(servers.Irc, "alice");
        await alice.SendAsync("JOIN #lobby");
        await alice.ExpectAsync("^:switchboard 366 ");

        await alice.SendAsync("QUIT :see you");

        await alice.NextIsAsync("ERROR :Closing link: Quit: see you");
        Assert.True(await alice.WaitForCloseAsync());
        await bob.ReadUntilAsync("*** alice quit: see you");
    }

    [Fact]
    public async Task An_IRC_user_is_in_several_rooms_at_once_one_who_shares_two_of_them_hears_a_rename_once_and_JOIN_0_leaves_them_all()
    {
        await using var servers = IrcServers.Start();
        using var alice = await IrcUser.RegisterAsync(servers.Irc, "alice");
        using var carol = await IrcUser.RegisterAsync(servers.Irc, "carol");
        await alice.SendAsync("JOIN #one,#two");
        await alice.ExpectAsync("^:switchboard 366 alice #two ");
        await carol.SendAsync("JOIN #one,#two");
        await carol.ExpectAsync("^:switchboard 366 carol #two ");
        await alice.NextIsAsync(":carol!carol@switchboard JOIN #one");
        await alice.NextIsAsync(":carol!carol@switchboard JOIN #two");

        await carol.SendAsync("PRIVMSG #one :in one", "PRIVMSG #two :in two", "NICK caroline");

        await alice.NextIsAsync(":carol!carol@switchboard PRIVMSG #one :in one");
        await alice.NextIsAsync(":carol!carol@switchboard PRIVMSG #two :in two");
        await alice.NextIsAsync(":carol!carol@switchboard NICK :caroline");
        Assert.Empty(await alice.SyncAsync());
        await carol.NextIsAsync(":carol!carol@switchboard NICK :caroline");
        Assert.Empty(await carol.SyncAsync());

        await carol.SendAsync("JOIN 0", "PRIVMSG #one :gone?");
        await carol.NextIsAsync(":caroline!caroline@switchboard PART #one");
        await carol.NextIsAsync(":caroline!caroline@switchboard PART #two");
        await carol.NextIsAsync(":switchboard 442 caroline #one :You're not on that channel");
        await alice.NextIsAsync(":caroline!caroline@switchboard PART #one");
        await alice.NextIsAsync(":caroline!caroline@switchboard PART #two");
    }

    [Fact]
    public async Task A_line_user_who_moves_rooms_is_a_PART_and_a_JOIN_to_IRC_users()
    {
        await using var servers = IrcServers.Start();
        using var alice = await IrcUser.RegisterAsync(servers.Irc, "alice");
        await alice.SendAsync("JOIN #lobby,#den");
        await alice.ExpectAsync("^:switchboard 366 alice #den ");
        using var bob = await servers.LineUserAsync("bob");

        await bob.SendAsync("/join den\n");

        await alice.NextIsAsync(":bob!bob@switchboard JOIN #lobby");
        await alice.NextIsAsync(":bob!bob@switchboard PART #lobby");
        await alice.NextIsAsync(":bob!bob@switchboard JOIN #den");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task History_comes_after_the_join_and_the_names_with_its_time_as_a_tag_or_in_the_text(bool serverTime)
    {
        await using var servers = IrcServers.Start();
        using var bob = await servers.LineUserAsync("bob");
        var before = DateTimeOffset.UtcNow;
        await bob.SendAsync("first\n/me second\n/who\n");
        await bob.ReadUntilAsync("*** in #lobby: bob");
        using var alice = await IrcUser.ConnectAsync(servers.Irc);
        await alice.SendAsync(serverTime ? "CAP REQ :server-time" : "CAP LS", "NICK alice", "USER alice 0 * :A", "CAP END");
        await alice.ExpectAsync("^:switchboard 422 ");

        await alice.SendAsync("JOIN #lobby");

        await alice.NextIsAsync(":alice!alice@switchboard JOIN #lobby");
        await alice.ExpectAsync("^:switchboard 366 alice #lobby ");
        string first = (await alice.ReadLineAsync())!;
        string second = (await alice.ReadLineAsync())!;
        var after = DateTimeOffset.UtcNow;
        if (serverTime)
        {
            var tagged = new Regex(@"^@time=(?<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (?<line>.*)$");
            foreach (var (line, expected) in new[] { (first, ":bob!bob@switchboard PRIVMSG #lobby :first"), (second, ":bob!bob@switchboard PRIVMSG #lobby :\u0001ACTION second\u0001") })
            {
                var match = tagged.Match(line);
                Assert.True(match.Success, line);
                Assert.Equal(expected, match.Groups["line"].Value);
                var time = DateTimeOffset.Parse(match.Groups["time"].Value, CultureInfo.InvariantCulture);
                Assert.InRange(time, before.AddMilliseconds(-1), after);
            }
        }
        else
        {
            Assert.Matches(@"^:bob!bob@switchboard PRIVMSG #lobby :\[\d\d:\d\d\] first$", first);
            Assert.Matches("^:bob!bob@switchboard PRIVMSG #lobby :\u0001ACTION \\[\\d\\d:\\d\\d\\] second\u0001$", second);
        }
    }

    [Fact]
    public async Task Names_who_list_and_mode_are_answered_as_clients_expect()
    {
        await using var servers = IrcServers.Start();
        using var bob = await servers.LineUserAsync("bob");
        using var alice = await IrcUser.RegisterAsync(servers.Irc, "alice");

        await alice.SendAsync("NAMES #lobby", "NAMES #nowhere,bad", "WHO #lobby", "LIST", "MODE #lobby", "MODE #lobby b", "MODE #lobby +o bob", "MODE alice", "MODE alice +i", "MODE bob");

        Assert.Equal(
            [
                ":switchboard 353 alice = #lobby :bob",
                ":switchboard 366 alice #lobby :End of /NAMES list",
                ":switchboard 366 alice #nowhere :End of /NAMES list",
                ":switchboard 366 alice bad :End of /NAMES list",
                ":switchboard 352 alice #lobby bob switchboard switchboard bob H :0 bob",
                ":switchboard 315 alice #lobby :End of /WHO list",
                ":switchboard 321 alice Channel :Users Name",
                ":switchboard 322 alice #lobby 1 :",
                ":switchboard 323 alice :End of /LIST",
                ":switchboard 324 alice #lobby +nt",
                ":switchboard 368 alice #lobby :End of channel ban list",
                ":switchboard 482 alice #lobby :Rooms here have no operators; modes cannot be changed",
                ":switchboard 221 alice +",
                ":switchboard 502 alice :Can't change mode for other users",
            ],
            await alice.SyncAsync());
    }

    [Fact]
    public async Task A_topic_set_in_a_room_is_told_to_it_shown_on_join_and_answered_when_asked()
    {
        await using var servers = IrcServers.Start();
        using var bob = await servers.LineUserAsync("bob");
        using var alice = await IrcUser.RegisterAsync(servers.Irc, "alice");
        using var carol = await IrcUser.RegisterAsync(servers.Irc, "carol");
        await alice.SendAsync("TOPIC #lobby", "TOPIC #lobby :not in it yet", "JOIN #lobby");
        await alice.NextIsAsync(":switchboard 331 alice #lobby :No topic is set");
        await alice.NextIsAsync(":switchboard 442 alice #lobby :You're not on that channel");
        await alice.NextIsAsync(":alice!alice@switchboard JOIN #lobby");
        await alice.NextIsAsync(":switchboard 353 alice = #lobby :alice bob"); // no topic yet: nothing about it on JOIN
        await alice.ExpectAsync("^:switchboard 366 ");
        var before = DateTimeOffset.UtcNow;

        await alice.SendAsync("TOPIC #lobby :\u0002plans\u0002 for today");

        await alice.NextIsAsync(":alice!alice@switchboard TOPIC #lobby :plans for today");
        await bob.ReadUntilAsync("*** alice set the topic of #lobby: plans for today");
        await carol.SendAsync("JOIN #lobby", "TOPIC #lobby");
        await carol.NextIsAsync(":carol!carol@switchboard JOIN #lobby");
        await carol.NextIsAsync(":switchboard 332 carol #lobby :plans for today");
        string setBy = await carol.ReadLineAsync() ?? "";
        var match = Regex.Match(setBy, @"^:switchboard 333 carol #lobby alice (\d+)$");
        Assert.True(match.Success, setBy);
        Assert.InRange(long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), before.ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        await carol.ExpectAsync("^:switchboard 366 carol #lobby ");
        await carol.NextIsAsync(":switchboard 332 carol #lobby :plans for today");
    }

    [Fact]
    public async Task Whois_names_the_rooms_and_the_away_message_and_a_private_message_to_an_away_member_is_answered_301()
    {
        await using var servers = IrcServers.Start();
        using var bob = await servers.LineUserAsync("bob");
        using var alice = await IrcUser.RegisterAsync(servers.Irc, "alice");
        using var carol = await IrcUser.RegisterAsync(servers.Irc, "carol");
        await alice.SendAsync("JOIN #lobby,#den", "AWAY :at lunch");
        await alice.ExpectAsync("^:switchboard 306 alice ");

        await carol.SendAsync("WHOIS ALICE", "WHOIS bob", "WHOIS nobody", "PRIVMSG alice :are you there?");

        Assert.Equal(
            [
                ":switchboard 311 carol alice alice switchboard * :alice",
                ":switchboard 319 carol alice :#den #lobby",
                ":switchboard 312 carol alice switchboard :Switchboard",
                ":switchboard 301 carol alice :at lunch",
                ":switchboard 318 carol alice :End of /WHOIS list",
                ":switchboard 311 carol bob bob switchboard * :bob",
                ":switchboard 319 carol bob :#lobby",
                ":switchboard 312 carol bob switchboard :Switchboard",
                ":switchboard 318 carol bob :End of /WHOIS list",
                ":switchboard 401 carol nobody :No such nick/channel",
                ":switchboard 318 carol nobody :End of /WHOIS list",
                ":switchboard 301 carol alice :at lunch",
            ],
            await carol.SyncAsync());
        await bob.SendAsync("/msg alice and from a line user?\n");
        await bob.ReadUntilAsync("*** alice is away: at lunch");

        await alice.SendAsync("AWAY");
        await alice.ExpectAsync("^:switchboard 305 alice ");
        await carol.SendAsync("PRIVMSG alice :back?");
        Assert.Empty(await carol.SyncAsync());
    }

    [Fact]
    public async Task Bad_commands_get_their_numerics_and_the_connection_stays()
    {
        await using var servers = IrcServers.Start();
        using var alice = await IrcUser.ConnectAsync(servers.Irc);

        await alice.SendAsync("JOIN #lobby", "USER x", "FROB");
        Assert.Equal(
            [
                ":switchboard 451 * :You have not registered",
                ":switchboard 461 * USER :Not enough parameters",
                ":switchboard 451 * :You have not registered",
            ],
            await alice.SyncAsync("one"));
        await alice.SendAsync("NICK alice", "USER alice 0 * :A");
        await alice.ExpectAsync("^:switchboard 422 ");

        await alice.SendAsync("FROB", "PRIVMSG", "PRIVMSG #lobby", "PRIVMSG #lobby :", "JOIN", "JOIN lobby", "JOIN #bad!room", "PART", "NOTICE nobody :quiet", "NOTICE #lobby :not in it", "NOTICE #bad!room :x", "NOTICE", "CAP REQ server-time", "CAP LIST");

        Assert.Equal(
            [
                ":switchboard 421 alice FROB :Unknown command",
                ":switchboard 411 alice :No recipient given (PRIVMSG)",
                ":switchboard 412 alice :No text to send",
                ":switchboard 412 alice :No text to send",
                ":switchboard 461 alice JOIN :Not enough parameters",
                ":switchboard 403 alice lobby :No such channel (names are # and 1-20 ASCII letters, digits, _ or -)",
                ":switchboard 403 alice #bad!room :No such channel (names are # and 1-20 ASCII letters, digits, _ or -)",
                ":switchboard 461 alice PART :Not enough parameters",
                ":switchboard CAP alice ACK :server-time",
                ":switchboard CAP alice LIST :server-time",
            ],
            await alice.SyncAsync("two")); // a NOTICE is never answered with an error
    }

    [Fact]
    public async Task A_line_split_across_packets_is_one_line_and_a_bare_newline_ends_a_line_too()
    {
        await using var servers = IrcServers.Start();
        using var bob = await servers.LineUserAsync("bob");
        using var alice = await IrcUser.RegisterAsync(servers.Irc, "alice");
        await alice.SendAsync("JOIN #lobby");
        await alice.ExpectAsync("^:switchboard 366 ");

        await alice.SendRawAsync("PRIV");
        await alice.SendRawAsync("MSG #lobby :in three");
        await alice.SendRawAsync(" parts\r");
        await alice.SendRawAsync("\nPRIVMSG #lobby :bare\n");

        await bob.ReadUntilAsync("<alice> in three parts");
        Assert.Equal("<alice> bare", await bob.ReadLineAsync());
    }

    [Fact]
    public async Task A_line_over_512_bytes_is_417_and_the_next_line_is_served()
    {
        await using var servers = IrcServers.Start();
        using var alice = await IrcUser.RegisterAsync(servers.Irc, "alice");

        await alice.SendAsync("PRIVMSG #lobby :" + new string('x', 600));

        Assert.Equal([":switchboard 417 alice :Input line was too long (max 510 bytes)"], await alice.SyncAsync());
    }

    [Fact]
    public async Task Colour_codes_and_other_controls_are_stripped_from_what_line_users_see()
    {
        await using var servers = IrcServers.Start();
        using var bob = await servers.LineUserAsync("bob");
        using var alice = await IrcUser.RegisterAsync(servers.Irc, "alice");
        await alice.SendAsync("JOIN #lobby");
        await alice.ExpectAsync("^:switchboard 366 ");

        await alice.SendAsync("PRIVMSG #lobby :\u0002bold\u0002 \u000304red\u0003 \u001b[2Jplain", "PRIVMSG #lobby :\u0001VERSION\u0001", "PRIVMSG #lobby :after");

        Assert.Equal("<alice> bold red plain", await ReadUntilPrefixAsync(bob, "<alice> "));
        Assert.Equal("<alice> after", await bob.ReadLineAsync()); // the CTCP VERSION was dropped, not relayed
    }

    [Fact]
    public async Task A_silent_client_is_pinged_and_dropped_if_it_does_not_answer_while_one_that_answers_stays()
    {
        // A second between checks: room enough for an answer on a busy machine.
        await using var servers = IrcServers.Start(chat: new ChatOptions { PingInterval = TimeSpan.FromSeconds(1) });
        using var bob = await servers.LineUserAsync("bob");
        using var quiet = await IrcUser.RegisterAsync(servers.Irc, "quiet");
        using var lively = await IrcUser.RegisterAsync(servers.Irc, "lively");
        await quiet.SendAsync("JOIN #lobby");
        await quiet.ExpectAsync("^:switchboard 366 ");
        var answering = Task.Run(async () =>
        {
            for (int pings = 0; pings < 3; pings++)
            {
                await lively.ExpectAsync("^PING :switchboard$");
                await lively.SendAsync("PONG :switchboard");
            }
        });

        await quiet.ExpectAsync("^PING :switchboard$");
        await quiet.NextIsAsync("ERROR :Closing link: ping timeout (2 seconds)");
        Assert.True(await quiet.WaitForCloseAsync());
        await bob.ReadUntilAsync("*** quiet quit (connection closed)");
        await answering.WaitAsync(Timeouts.Patient);
        Assert.Empty(await lively.SyncAsync()); // three pings answered: still served
    }

    [Fact]
    public async Task A_client_that_never_registers_is_closed_at_the_register_timeout()
    {
        await using var servers = IrcServers.Start(chat: new ChatOptions { RegisterTimeout = TimeSpan.FromMilliseconds(300) });
        using var idle = await IrcUser.ConnectAsync(servers.Irc);
        await idle.SendAsync("NICK idle");

        await idle.ExpectAsync("^ERROR :Closing link: registration timed out$");
        Assert.True(await idle.WaitForCloseAsync());
    }

    [Fact]
    public async Task A_flood_is_paced_not_dropped_and_arrives_whole_and_in_order()
    {
        await using var servers = IrcServers.Start(chat: new ChatOptions { Rate = 50, Burst = 5 });
        using var bob = await servers.LineUserAsync("bob");
        using var alice = await IrcUser.RegisterAsync(servers.Irc, "alice");
        await alice.SendAsync("JOIN #lobby");
        await alice.ExpectAsync("^:switchboard 366 ");

        await alice.SendAsync([.. Enumerable.Range(1, 40).Select(i => $"PRIVMSG #lobby :line {i}")]);

        await bob.ReadUntilAsync("<alice> line 1");
        for (int i = 2; i <= 40; i++)
            Assert.Equal($"<alice> line {i}", await bob.ReadLineAsync());
    }

    [Fact]
    public async Task Lines_waiting_their_turn_when_the_client_closes_are_said_and_a_QUIT_among_them_is_a_quit()
    {
        await using var servers = IrcServers.Start(chat: new ChatOptions { Rate = 1, Burst = 2 });
        using var bob = await servers.LineUserAsync("bob");
        var alice = await IrcUser.ConnectAsync(servers.Irc);
        await alice.SendAsync("NICK alice", "USER alice 0 * :A", "JOIN #lobby");
        await alice.ExpectAsync("^:switchboard 366 alice #lobby "); // all read, so the close is a FIN, not a reset that loses data
        await bob.ReadUntilAsync("*** alice joined #lobby (2 here)");

        await alice.SendAsync("PRIVMSG #lobby :one", "PRIVMSG #lobby :two", "PRIVMSG #lobby :three", "QUIT :bye now");
        alice.Dispose(); // at once: the lines wait for tokens a second apart

        Assert.Equal("<alice> one", await bob.ReadLineAsync());
        Assert.Equal("<alice> two", await bob.ReadLineAsync());
        Assert.Equal("<alice> three", await bob.ReadLineAsync());
        Assert.Equal("*** alice quit: bye now", await bob.ReadLineAsync());
    }

    [Fact]
    public async Task A_client_refused_at_connect_is_told_why_in_an_IRC_ERROR_line()
    {
        await using var servers = IrcServers.Start(options: new ServerOptions { MaxConnections = 1 });
        using var first = await IrcUser.RegisterAsync(servers.Irc, "first");

        using var second = await IrcUser.ConnectAsync(servers.Irc);

        await second.NextIsAsync("ERROR :Closing link: server full (1 connection); try again later");
        Assert.True(await second.WaitForCloseAsync());
    }

    [Fact]
    public async Task No_line_the_server_sends_passes_512_bytes_long_talk_is_split_whole_and_a_long_topic_is_cut()
    {
        await using var servers = IrcServers.Start();
        using var bob = await servers.LineUserAsync("bob");
        using var alice = await IrcUser.RegisterAsync(servers.Irc, "alice");
        string[] rooms = [.. Enumerable.Range(0, 30).Select(i => $"#room-number-{i:00}")];
        await alice.SendAsync($"JOIN {string.Join(',', rooms)},#lobby");
        await alice.ExpectAsync("^:switchboard 366 alice #lobby ");
        string said = string.Concat(Enumerable.Range(0, 100).Select(i => $"w{i:00} ")) + "end é"; // 402 characters, 1 of them 2 bytes
        said = (said + said[..100]).Trim(); // the line protocol trims what is said

        // Bob's talk first, whole (it comes through another connection, so it may trail alice's own
        // requests): read until its pieces add up to what he said, or the reads time out.
        const string Prefix = ":bob!bob@switchboard PRIVMSG #lobby :";
        await bob.SendAsync(said + "\n");
        var lines = new List<string>();
        var talk = new List<string>();
        while (string.Concat(talk) != said)
        {
            string line = await alice.ReadLineAsync() ?? throw new InvalidOperationException($"alice's connection ended; talk so far: {string.Concat(talk)}");
            lines.Add(line);
            if (line.StartsWith(Prefix, StringComparison.Ordinal))
                talk.Add(line[Prefix.Length..]);
        }

        await alice.SendAsync("WHOIS alice", "TOPIC #lobby :" + new string('t', 400), "TOPIC #lobby");
        lines.Add(await alice.ReadLineAsync() ?? "");
        while (!lines[^1].StartsWith(":switchboard 311", StringComparison.Ordinal))
            lines.Add(await alice.ReadLineAsync() ?? "");
        lines.AddRange(await alice.SyncAsync());
        foreach (string line in lines)
            Assert.True(System.Text.Encoding.UTF8.GetByteCount(line) <= 510, $"{System.Text.Encoding.UTF8.GetByteCount(line)} bytes: {line}");
        Assert.True(talk.Count > 1, "the talk came in one line");
        Assert.Equal(said, string.Concat(talk));
        Assert.Equal(2, lines.Count(l => l.StartsWith(":switchboard 319 alice alice :", StringComparison.Ordinal)));
        Assert.Equal(rooms.Append("#lobby").Order(StringComparer.OrdinalIgnoreCase), lines.Where(l => l.StartsWith(":switchboard 319", StringComparison.Ordinal)).SelectMany(l => l.Split(" :")[1].Split(' ')));
        Assert.Contains(":switchboard 332 alice #lobby :" + new string('t', 300), lines);
    }

    [Fact]
    public async Task A_notice_reaches_IRC_users_as_a_notice_line_users_as_talk_and_nothing_ever_answers_it()
    {
        await using var servers = IrcServers.Start();
        using var bob = await servers.LineUserAsync("bob");
        using var alice = await IrcUser.RegisterAsync(servers.Irc, "alice");
        using var carol = await IrcUser.RegisterAsync(servers.Irc, "carol");
        await carol.SendAsync("JOIN #lobby", "AWAY :gone");
        await carol.ExpectAsync("^:switchboard 306 ");
        await alice.SendAsync("JOIN #lobby");
        await alice.ExpectAsync("^:switchboard 366 alice #lobby ");
        await carol.ExpectAsync("^:alice!alice@switchboard JOIN #lobby$");

        await alice.SendAsync("NOTICE #lobby :a bot speaks", "NOTICE carol :psst", "NOTICE #elsewhere :x", "NOTICE nobody :x", "PRIVMSG nobody :y");

        await carol.NextIsAsync(":alice!alice@switchboard NOTICE #lobby :a bot speaks");
        await carol.NextIsAsync(":alice!alice@switchboard NOTICE carol :psst");
        await bob.ReadUntilAsync("<alice> a bot speaks");
        Assert.Equal([":switchboard 401 alice nobody :No such nick/channel"], await alice.SyncAsync()); // no 442, 401 or 301 for the notices
    }

    private static async Task<string> ReadUntilPrefixAsync(TestClient client, string prefix)
    {
        while (await client.ReadLineAsync(Timeouts.Patient) is { } line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
                return line;
        }

        Assert.Fail($"closed before a line starting '{prefix}'");
        return "";
    }
}
