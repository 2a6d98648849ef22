using Switchboard.Apps.Chat;
using Switchboard.Protocols;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Apps.Chat;

/// <summary>The chat's commands and formats (docs/chat-protocol.md), on in-memory connections sharing one hub.</summary>
public sealed class ChatProtocolTests
{
    private readonly ChatHub _hub = new(historySize: 3);

    [Fact]
    public void Greets_and_asks_for_a_name_before_anything_is_said()
    {
        var user = new ChatUser(_hub);
        Assert.Single(user.Read(), l => l.StartsWith("*** welcome", StringComparison.Ordinal) && l.Contains("/nick", StringComparison.Ordinal));

        user.Type("hello?");

        Assert.Equal(["! choose a name first: /nick NAME"], user.Read());
    }

    [Fact]
    public void A_name_puts_you_in_the_lobby_and_the_lobby_is_told()
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = new ChatUser(_hub);
        bob.Read();

        bob.Type("/nick bob");

        Assert.Equal(["*** bob joined #lobby (2 here)", "*** you are bob, in #lobby"], bob.Read());
        Assert.Equal(["*** bob joined #lobby (2 here)"], alice.Read());
    }

    [Fact]
    public void Plain_lines_go_to_the_room_but_not_back_to_the_sender()
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = ChatUser.Named(_hub, "bob");
        alice.Read();

        alice.Type("hi bob");

        Assert.Equal(["<alice> hi bob"], bob.Read());
        Assert.Empty(alice.Read());
    }

    [Fact]
    public void Me_msg_who_and_rooms()
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = ChatUser.Named(_hub, "bob");
        var carol = ChatUser.Named(_hub, "carol");
        carol.Type("/join den");
        alice.Read();
        bob.Read();

        bob.Type("/me waves");
        Assert.Equal(["* bob waves"], alice.Read());
        Assert.Equal(["* bob waves"], bob.Read()); // an action is shown to its doer too

        bob.Type("/msg ALICE just you");
        Assert.Equal(["*bob* just you"], alice.Read());
        Assert.Equal(["-> *alice* just you"], bob.Read()); // the name as its holder spells it
        Assert.DoesNotContain(carol.Read(), l => l.Contains("just you", StringComparison.Ordinal));

        alice.Type("/who");
        Assert.Equal(["*** in #lobby: alice, bob"], alice.Read());

        alice.Type("/rooms");
        Assert.Equal(["*** rooms: #den (1), #lobby (2)"], alice.Read());
    }

    [Fact]
    public void A_name_change_is_announced_to_the_room()
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = ChatUser.Named(_hub, "bob");
        alice.Read();

        bob.Type("/nick robert");

        Assert.Equal(["*** bob is now known as robert"], alice.Read());
        alice.Type("/msg robert hello");
        Assert.Contains("*alice* hello", bob.Read());
    }

    [Fact]
    public void Joining_replays_the_rooms_last_lines_and_leaving_tells_the_room()
    {
        var alice = ChatUser.Named(_hub, "alice");
        alice.Type("/join den");
        foreach (string line in new[] { "one", "two", "three", "four" })
            alice.Type(line);
        var bob = ChatUser.Named(_hub, "bob");
        alice.Read();
        var said = DateTimeOffset.UtcNow;

        bob.Type("/join #den");

        var read = bob.Read();
        var replayed = DateTimeOffset.UtcNow;
        Assert.Equal(5, read.Length);
        Assert.Equal("*** the last 3 lines of #den (times UTC):", read[0]);
        Assert.Equal(["<alice> two", "<alice> three", "<alice> four"], read.Skip(1).Take(3).Select(l => ReplayedLine.Unwrap(l, said, replayed)));
        Assert.Equal("*** bob joined #den (2 here)", read[4]);
        bob.Type("/join lobby");
        Assert.Equal(["*** bob joined #den (2 here)", "*** bob left #den"], alice.Read());
    }

    [Fact]
    public void Quit_tells_the_room_with_the_message_and_closes()
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = ChatUser.Named(_hub, "bob");
        alice.Read();

        bob.Type("/quit gone fishing");

        Assert.Equal(["*** bye"], bob.Read());
        Assert.Equal(DisconnectReason.LocalClosed, bob.Transport.DisconnectReason);
        Assert.Equal(["*** bob quit: gone fishing"], alice.Read());
        alice.Type("/who");
        Assert.Equal(["*** in #lobby: alice"], alice.Read());
    }

    [Fact]
    public void Dropping_tells_the_room_and_frees_the_name()
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = ChatUser.Named(_hub, "bob");
        alice.Read();

        bob.Transport.CloseFromPeer();

        Assert.Equal(["*** bob quit (connection closed)"], alice.Read());
        var newBob = ChatUser.Named(_hub, "BOB");
        Assert.DoesNotContain(newBob.Read(), l => l.StartsWith('!'));
    }

    [Fact]
    public void A_slow_consumer_is_announced_as_too_slow()
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = new ChatUser(_hub, server: new ServerOptions { MaxPendingBytes = 128, MaxLineLength = 512 });
        bob.Type("/nick bob");
        alice.Read();

        alice.Type(new string('x', 200)); // a string transport writes at once: one line over 128 bytes is "too slow"

        Assert.Equal(DisconnectReason.SlowConsumer, bob.Transport.DisconnectReason);
        Assert.Equal(["*** bob left (too slow)"], alice.Read());
    }

    [Theory]
    [InlineData("/nick", "! usage: /nick NAME")]
    [InlineData("/nick two words", "! bad name 'two words': use 1-20 ASCII letters (a-z, A-Z), digits, _ or -")]
    [InlineData("/nick 🙂", "! bad name '🙂': use 1-20 ASCII letters (a-z, A-Z), digits, _ or -")]
    [InlineData("/nick abcdefghijklmnopqrstu", "! bad name 'abcdefghijklmnopqrstu': use 1-20 ASCII letters (a-z, A-Z), digits, _ or -")]
    [InlineData("/join", "! usage: /join ROOM")]
    [InlineData("/join no#way", "! bad room name 'no#way': use 1-20 ASCII letters (a-z, A-Z), digits, _ or -")]
    [InlineData("/", "! a command needs a name; try /help")]
    [InlineData("/dance", "! unknown command /dance; try /help")]
    [InlineData("/msg", "! usage: /msg NAME TEXT")]
    [InlineData("/msg bob", "! usage: /msg NAME TEXT")]
    [InlineData("/msg nobody hello", "! no one is called nobody")]
    [InlineData("/me", "! usage: /me TEXT")]
    [InlineData("/join lobby", "! you are already in #lobby")]
    public void Bad_input_gets_a_clear_error_and_no_one_else_notices(string line, string error)
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = ChatUser.Named(_hub, "bob");
        alice.Read();

        bob.Type(line);

        Assert.Equal([error], bob.Read());
        Assert.Empty(alice.Read());
        Assert.Null(bob.Transport.DisconnectReason);
    }

    [Theory]
    [InlineData("")]
    [InlineData("    ")]
    [InlineData("\u200B\t")]
    public void An_empty_line_is_ignored_quietly(string line)
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = ChatUser.Named(_hub, "bob");
        alice.Read();

        bob.Type(line);
        bob.Type("/who");

        Assert.Equal(["*** in #lobby: alice, bob"], bob.Read());
        Assert.Empty(alice.Read());
    }

    [Fact]
    public void A_taken_name_is_refused_ignoring_case()
    {
        ChatUser.Named(_hub, "alice");
        var other = new ChatUser(_hub);
        other.Read();

        other.Type("/nick ALICE");

        Assert.Equal(["! the name ALICE is taken"], other.Read());
    }

    [Fact]
    public void No_one_can_forge_a_line_from_the_server()
    {
        // Every line the server writes in a session: greetings, answers, notices, errors, help, farewells.
        var fast = new ChatOptions { Rate = 1e9, Burst = 1_000_000 };
        var alice = new ChatUser(_hub, fast);
        var carol = new ChatUser(_hub, fast);
        var dave = new ChatUser(_hub, fast);
        var gone = new ChatUser(_hub, fast);
        var script = new (ChatUser User, string Line)[]
        {
            (alice, "/nick alice"), (carol, "/nick carol"), (dave, "/nick dave"), (gone, "/nick gone"), (carol, "/who"), (carol, "/rooms"),
            (carol, "/help"), (carol, "/join den"), (carol, "/join lobby"), (carol, "/nick caroline"), (carol, "/msg nobody hi"),
            (carol, "/dance"), (carol, "/me"), (carol, "/join lobby"), (carol, "/nick alice"), (carol, "/quit see you"),
        };
        var serverLines = new HashSet<string>(StringComparer.Ordinal);
        foreach (var user in new[] { alice, carol, dave, gone })
            serverLines.UnionWith(user.Read());
        foreach (var (user, line) in script)
        {
            user.Type(line);
            foreach (var u in new[] { alice, carol, dave, gone })
                serverLines.UnionWith(u.Read());
        }

        dave.Transport.CloseFromPeer();
        gone.Protocol.OnShutdown();
        serverLines.UnionWith(alice.Read());
        serverLines.UnionWith(gone.Read());
        Assert.Contains("*** the server is shutting down; goodbye", serverLines);
        Assert.Contains("*** dave quit (connection closed)", serverLines);
        Assert.Contains("*** caroline quit: see you", serverLines);

        // Mallory says each of them, acts it, and whispers it, under her name and under the
        // name the line starts with ("the", "alice", ...): "/me server is shutting down; goodbye" as "the".
        var mallory = ChatUser.Named(_hub, "mallory", fast);
        alice.Read();
        foreach (string serverLine in serverLines)
        {
            string body = serverLine.TrimStart('*', '!', ' ');
            string afterFirstWord = body.IndexOf(' ', StringComparison.Ordinal) is var space and >= 0 ? body[(space + 1)..] : "";
            foreach (string nick in new[] { "mallory", body.Split(' ')[0] }.Where(ChatText.IsValidName))
            {
                mallory.Type($"/nick {nick}");
                foreach (string text in new[] { serverLine, body, afterFirstWord }.Where(t => t.Length > 0))
                {
                    if (text[0] != '/') // a help line's body is a command; said, it would run
                        mallory.Type(text);
                    mallory.Type($"/me {text}");
                    mallory.Type($"/msg alice {text}");
                }

                foreach (string seen in alice.Read().Where(l => !l.EndsWith($" is now known as {nick}", StringComparison.Ordinal)))
                {
                    Assert.DoesNotContain(seen, serverLines);
                    Assert.False(seen.StartsWith("**", StringComparison.Ordinal), seen);
                }
            }
        }
    }

    [Theory]
    [InlineData("alice", "aIice")]
    [InlineData("alice", "ALlCE")]
    [InlineData("alice", "a1ice")]
    [InlineData("bob", "B0B")]
    [InlineData("mary", "rnary")]
    [InlineData("wendy", "vvendy")]
    [InlineData("rnarvv", "marw")]
    public void A_name_that_looks_like_a_members_is_refused(string taken, string lookalike)
    {
        var holder = ChatUser.Named(_hub, taken);
        var other = new ChatUser(_hub);
        other.Read();

        other.Type($"/nick {lookalike}");

        Assert.Equal([$"! the name {lookalike} is too like {taken}; choose another"], other.Read());
        Assert.Empty(holder.Read());
        other.Type($"/nick {taken}x");
        Assert.Contains($"*** you are {taken}x, in #lobby", other.Read());
        other.Type($"/nick {lookalike}");
        Assert.Equal([$"! the name {lookalike} is too like {taken}; choose another"], other.Read());
    }

    [Fact]
    public void You_may_take_a_look_alike_of_your_own_name_and_it_is_free_once_you_leave()
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = ChatUser.Named(_hub, "bob");
        alice.Read();

        alice.Type("/nick aIice");
        Assert.Equal(["*** alice is now known as aIice"], bob.Read());
        alice.Read();
        bob.Type("/nick alice");
        Assert.Equal(["! the name alice is too like aIice; choose another"], bob.Read());
        bob.Type("/msg alice hi");
        Assert.Equal(["! no one is called alice"], bob.Read());
        bob.Type("/msg AIICE hi");
        Assert.Equal(["*bob* hi"], alice.Read());

        alice.Type("/quit");
        bob.Read();
        bob.Type("/nick alice");
        Assert.Equal(["*** bob is now known as alice"], bob.Read());
    }

    [Fact]
    public void Control_characters_are_removed_so_no_one_can_drive_another_terminal()
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = ChatUser.Named(_hub, "bob");
        alice.Read();

        bob.Type("\u001b[2J\u001b[31mred\u0007\u009b tab\there\u007f");

        Assert.Equal(["<bob> red tab\there"], alice.Read());
    }

    [Fact]
    public void Invalid_utf8_is_replaced_not_fatal()
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = ChatUser.Named(_hub, "bob");
        alice.Read();

        bob.Transport.Receive([(byte)'o', 0xff, (byte)'k', (byte)'\n']);

        Assert.Equal(["<bob> o\uFFFDk"], alice.Read());
    }

    [Fact]
    public void An_overlong_line_is_dropped_with_an_error_and_the_client_stays()
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = ChatUser.Named(_hub, "bob");
        alice.Read();

        bob.Type(new string('x', 513));
        bob.Type("short");

        Assert.Equal(["! line too long (max 512 bytes)"], bob.Read());
        Assert.Equal(["<bob> short"], alice.Read());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4096)]
    public void A_client_that_streams_without_a_newline_strikes_out(int chunkSize)
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = ChatUser.Named(_hub, "bob");
        alice.Read();

        // Five limits' worth (2,560 bytes), then 8 MiB more: only the strikes decide when it ends.
        bob.Transport.Receive(new string('x', 5 * 512), chunkSize);
        Assert.Equal(Enumerable.Repeat("! line too long (max 512 bytes)", 4), bob.Read());
        Assert.Null(bob.Transport.DisconnectReason);
        for (int i = 0; i < 2048 && !bob.Transport.IsClosed; i++)
            bob.Transport.Receive(new string('x', 4096));

        Assert.Equal([.. Enumerable.Repeat("! line too long (max 512 bytes)", 16), "! too many dropped lines; goodbye"], bob.Read());
        Assert.Equal(DisconnectReason.LocalClosed, bob.Transport.DisconnectReason);
        Assert.Equal(["*** bob quit (connection closed)"], alice.Read());
    }

    [Fact]
    public void Binary_garbage_is_refused_and_counts_as_a_strike()
    {
        var options = new ChatOptions { StrikesBeforeDisconnect = 3 };
        var alice = ChatUser.Named(_hub, "alice");
        var bob = ChatUser.Named(_hub, "bob", options);
        alice.Read();
        byte[] noise = new byte[512];
        new Random(5).NextBytes(noise);
        noise.AsSpan().Replace((byte)'\n', (byte)'x');
        noise.AsSpan().Replace((byte)0, (byte)'y');

        bob.Transport.Receive([.. noise, (byte)'\n']);
        bob.Transport.Receive([(byte)'h', (byte)'i', 0, (byte)'\n']);
        Assert.Equal(["! not UTF-8 text", "! not UTF-8 text"], bob.Read());
        Assert.Empty(alice.Read());

        // Every byte value, four times: split at each \n, and every piece is refused.
        bob.Transport.Receive([.. Enumerable.Range(0, 1024).Select(i => (byte)i)]);

        Assert.Equal(["! not UTF-8 text", "! too many dropped lines; goodbye"], bob.Read());
        Assert.Equal(DisconnectReason.LocalClosed, bob.Transport.DisconnectReason);
        Assert.Equal(["*** bob quit (connection closed)"], alice.Read());
    }

    [Fact]
    public void A_little_invalid_utf8_in_text_still_passes()
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = ChatUser.Named(_hub, "bob");
        alice.Read();

        bob.Transport.Receive([(byte)'a', (byte)'b', 0xff, (byte)'c', (byte)'\n']);

        Assert.Equal(["<bob> ab\uFFFDc"], alice.Read());
    }

    [Fact]
    public void Lines_over_the_rate_wait_their_turn_and_their_answers_keep_the_order()
    {
        var clock = new ManualTimeProvider();
        var options = new ChatOptions { Rate = 1, Burst = 3 };
        var alice = ChatUser.Named(_hub, "alice", options, clock);
        var bob = ChatUser.Named(_hub, "bob", options, clock);
        clock.Advance(TimeSpan.FromSeconds(10));
        alice.Read();

        for (int i = 0; i < 4; i++)
            bob.Type($"line {i}");
        bob.Type("/who");
        bob.Transport.Receive(new string('x', 600) + "\n"); // too long: answered in its turn too
        Assert.Empty(bob.Read());
        Assert.Equal(["<bob> line 0", "<bob> line 1", "<bob> line 2"], alice.Read());

        Advance(bob, clock, TimeSpan.FromSeconds(1));
        Assert.Equal(["<bob> line 3"], alice.Read());
        Assert.Empty(bob.Read());

        Advance(bob, clock, TimeSpan.FromSeconds(1));
        Assert.Equal(["*** in #lobby: alice, bob", "! line too long (max 512 bytes)"], bob.Read());
        Assert.Null(bob.Transport.DisconnectReason);
    }

    [Fact]
    public void A_full_queue_is_a_goodbye_and_the_room_is_told()
    {
        var clock = new ManualTimeProvider();
        var options = new ChatOptions { Rate = 1, Burst = 2, MaxQueuedLines = 5 };
        var alice = ChatUser.Named(_hub, "alice", options, clock);
        var bob = ChatUser.Named(_hub, "bob", options, clock);
        clock.Advance(TimeSpan.FromSeconds(10));
        alice.Read();

        for (int i = 0; i < 7; i++)
            bob.Type($"line {i}"); // 2 at once, 5 queued
        Assert.Empty(bob.Read());
        Assert.Null(bob.Transport.DisconnectReason);

        bob.Type("one too many");

        Assert.Equal(["! too many lines queued (max 5 lines); goodbye"], bob.Read());
        Assert.Equal(DisconnectReason.LocalClosed, bob.Transport.DisconnectReason);
        Assert.Equal(["<bob> line 0", "<bob> line 1", "*** bob quit (connection closed)"], alice.Read());
    }

    [Fact]
    public void Queued_bytes_are_limited_too()
    {
        var clock = new ManualTimeProvider();
        var options = new ChatOptions { Rate = 1, Burst = 1, MaxQueuedBytes = 1000 };
        var bob = ChatUser.Named(_hub, "bob", options, clock);
        clock.Advance(TimeSpan.FromSeconds(10));

        bob.Type("first");
        bob.Type(new string('y', 400));
        bob.Type(new string('y', 400));
        Assert.Null(bob.Transport.DisconnectReason);
        bob.Type(new string('y', 400));

        Assert.Equal(["! too many lines queued (max 1000 bytes); goodbye"], bob.Read());
        Assert.Equal(DisconnectReason.LocalClosed, bob.Transport.DisconnectReason);
    }

    [Fact]
    public void Quit_queued_behind_talk_is_handled_in_its_turn()
    {
        var clock = new ManualTimeProvider();
        var options = new ChatOptions { Rate = 1, Burst = 1 };
        var alice = ChatUser.Named(_hub, "alice", options, clock);
        var bob = ChatUser.Named(_hub, "bob", options, clock);
        clock.Advance(TimeSpan.FromSeconds(10));
        alice.Read();

        bob.Type("one");
        bob.Type("two");
        bob.Type("/quit later");
        bob.Type("never said");
        Assert.Equal(["<bob> one"], alice.Read());

        Advance(bob, clock, TimeSpan.FromSeconds(1));
        Assert.Equal(["<bob> two"], alice.Read());
        Assert.Null(bob.Transport.DisconnectReason);
        Advance(bob, clock, TimeSpan.FromSeconds(1));

        Assert.Equal(["*** bye"], bob.Read());
        Assert.Equal(DisconnectReason.LocalClosed, bob.Transport.DisconnectReason);
        Assert.Equal(["*** bob quit: later"], alice.Read());
    }

    [Fact]
    public void Strikes_still_end_a_connection_that_sends_only_garbage()
    {
        var bob = ChatUser.Named(_hub, "bob", new ChatOptions { StrikesBeforeDisconnect = 3 });

        for (int i = 0; i < 3; i++)
            bob.Transport.Receive("\0\0\n");

        Assert.Equal(["! not UTF-8 text", "! not UTF-8 text", "! not UTF-8 text", "! too many dropped lines; goodbye"], bob.Read());
        Assert.Equal(DisconnectReason.LocalClosed, bob.Transport.DisconnectReason);
    }

    [Fact]
    public void No_name_within_the_register_timeout_is_a_goodbye()
    {
        var options = new ChatOptions { RegisterTimeout = TimeSpan.FromSeconds(30) };
        var named = new ChatUser(_hub, options);
        var lurker = new ChatUser(_hub, options);
        named.Type("/nick alice");
        named.Read();
        lurker.Read();

        named.Transport.AdvanceTime(TimeSpan.FromSeconds(30));
        lurker.Transport.AdvanceTime(TimeSpan.FromSeconds(29));
        Assert.Empty(lurker.Read());
        lurker.Transport.AdvanceTime(TimeSpan.FromSeconds(1));

        Assert.Equal(["! too slow to choose a name; goodbye"], lurker.Read());
        Assert.Equal(DisconnectReason.LocalClosed, lurker.Transport.DisconnectReason);
        Assert.Null(named.Transport.DisconnectReason);
        Assert.Empty(named.Read());
    }

    [Fact]
    public void Talk_after_shutdown_began_is_refused_whole()
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = ChatUser.Named(_hub, "bob");
        alice.Read();

        _hub.BeginShutdown();
        bob.Type("hello?");
        bob.Type("/me waves");
        bob.Type("/msg alice psst");

        Assert.Equal(["! not sent: the server is shutting down", "! not sent: the server is shutting down", "! not sent: the server is shutting down"], bob.Read());
        Assert.Empty(alice.Read());
    }

    private static void Advance(ChatUser user, ManualTimeProvider clock, TimeSpan by)
    {
        clock.Advance(by); // the bucket's clock first, so a timer that comes due finds its token
        user.Transport.AdvanceTime(by);
    }

    [Fact]
    public void Help_lists_every_command()
    {
        var user = new ChatUser(_hub);
        user.Read();

        user.Type("/help");

        string help = string.Join("\n", user.Read());
        foreach (string command in new[] { "/nick", "/join", "/rooms", "/who", "/me", "/msg", "/quit", "/help" })
            Assert.Contains(command, help, StringComparison.Ordinal);
    }

    [Fact]
    public void Rooms_lists_the_lobby_before_anyone_has_a_name()
    {
        var user = new ChatUser(_hub);
        user.Read();

        user.Type("/rooms");

        Assert.Equal(["*** rooms: #lobby (0)"], user.Read());
    }

    [Fact]
    public void Taking_your_own_name_again_is_an_error_not_a_rename()
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = ChatUser.Named(_hub, "bob");
        alice.Read();

        alice.Type("/nick alice");
        bob.Type("/nick BOB");

        Assert.Equal(["! you are already alice", "*** bob is now known as BOB"], alice.Read());
    }

    [Fact]
    public void A_tab_separates_a_command_from_its_arguments()
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = ChatUser.Named(_hub, "bob");
        alice.Read();

        bob.Type("/msg\talice\thi there");
        bob.Type("/me\tnods");

        Assert.Equal(["*bob* hi there", "* bob nods"], alice.Read());
        Assert.Equal(["-> *alice* hi there", "* bob nods"], bob.Read());
    }

    [Fact]
    public void A_member_too_slow_for_a_line_leaves_after_everyone_got_that_line()
    {
        var alice = ChatUser.Named(_hub, "alice");
        var bob = new ChatUser(_hub, server: new ServerOptions { MaxPendingBytes = 128, MaxLineLength = 512 });
        bob.Type("/nick bob");
        var carol = ChatUser.Named(_hub, "carol"); // after bob in the room, so fanned out to after him
        alice.Read();
        string line = new('x', 200);

        alice.Type(line);

        Assert.Equal(DisconnectReason.SlowConsumer, bob.Transport.DisconnectReason);
        Assert.Equal([$"<alice> {line}", "*** bob left (too slow)"], carol.Read());
        carol.Type("/who");
        Assert.Equal(["*** in #lobby: alice, carol"], carol.Read());
    }

    [Fact]
    public void With_a_hub_that_answers_later_every_answer_keeps_its_place_and_quit_waits_for_them()
    {
        var hub = new LateHub(_hub);
        var user = new ChatUser(hub);
        user.Read();

        user.Transport.Receive("/who\n/me\n/nick qq\n/nick\n/help\n/quit bye now\nignored\n");

        Assert.Empty(user.Read());
        Assert.Null(user.Transport.DisconnectReason);
        hub.AnswerAll();
        string[] lines = user.Read();
        Assert.Equal(["! choose a name first: /nick NAME", "! usage: /me TEXT", "*** qq joined #lobby (1 here)", "*** you are qq, in #lobby", "! usage: /nick NAME"], lines[..5]);
        Assert.Equal("*** bye", lines[^1]);
        Assert.Equal(DisconnectReason.LocalClosed, user.Transport.DisconnectReason);
    }

    /// <summary>A hub that, like a remote one, applies calls only later (when told to), in order.</summary>
    private sealed class LateHub(IChatHub inner) : IChatHub
    {
        private readonly Queue<Action> _calls = new();

        public void AnswerAll()
        {
            while (_calls.TryDequeue(out var call))
                call();
        }

        public void Nick(ChatMember member, string nick) => _calls.Enqueue(() => inner.Nick(member, nick));

        public void Join(ChatMember member, string room) => _calls.Enqueue(() => inner.Join(member, room));

        public void Part(ChatMember member, string room, string message = "") => _calls.Enqueue(() => inner.Part(member, room, message));

        public void PartAll(ChatMember member) => _calls.Enqueue(() => inner.PartAll(member));

        public void Say(ChatMember member, string text, string? room = null, bool notice = false) => _calls.Enqueue(() => inner.Say(member, text, room, notice));

        public void Act(ChatMember member, string text, string? room = null) => _calls.Enqueue(() => inner.Act(member, text, room));

        public void Whisper(ChatMember member, string nick, string text, bool notice = false) => _calls.Enqueue(() => inner.Whisper(member, nick, text, notice));

        public void Topic(ChatMember member, string room, string? text = null) => _calls.Enqueue(() => inner.Topic(member, room, text));

        public void Whois(ChatMember member, string nick) => _calls.Enqueue(() => inner.Whois(member, nick));

        public void Away(ChatMember member, string message) => _calls.Enqueue(() => inner.Away(member, message));

        public void ListRooms(ChatMember member) => _calls.Enqueue(() => inner.ListRooms(member));

        public void ListWho(ChatMember member, string? room = null) => _calls.Enqueue(() => inner.ListWho(member, room));

        public void Tell(ChatMember member, string line) => _calls.Enqueue(() => inner.Tell(member, line));

        public void Leave(ChatMember member, Farewell how, string message = "") => _calls.Enqueue(() => inner.Leave(member, how, message));
    }
}
