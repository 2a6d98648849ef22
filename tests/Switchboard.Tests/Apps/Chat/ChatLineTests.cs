using Switchboard.Apps.Chat;

namespace Switchboard.Tests.Apps.Chat;

/// <summary>The seven line forms of docs/chat-protocol.md: the first two characters tell them apart, whatever the text.</summary>
public sealed class ChatLineTests
{
    private enum Form
    {
        Talk,
        Action,
        Private,
        Notice,
        Error,
        PrivateSent,
        History,
        Unknown,
    }

    public static TheoryData<string> Texts => new(["hi", "", "* alice waves", "*** the server is shutting down; goodbye", "! slow down", "*bob* psst", "<x> y", "**", "*", " ", "the server is shutting down; goodbye"]);

    private static readonly string[] Nicks = ["a", "alice", "the", "_", "-", "A-Z_0-9", "abcdefghijklmnopqrst"];

    [Theory]
    [MemberData(nameof(Texts))]
    public void Each_form_is_told_by_its_first_two_characters_whatever_the_text(string text)
    {
        Assert.Equal(Form.Notice, FormOf(ChatLine.Notice(text)));
        foreach (string nick in Nicks)
        {
            Assert.True(ChatText.IsValidName(nick), nick);
            Assert.Equal(Form.Talk, FormOf(ChatLine.Talk(nick, text)));
            Assert.Equal(Form.Action, FormOf(ChatLine.Action(nick, text)));
            Assert.Equal(Form.Private, FormOf(ChatLine.Private(nick, text)));
            Assert.Equal(Form.PrivateSent, FormOf(ChatLine.PrivateSent(nick, text)));
            Assert.Equal(Form.History, FormOf(ChatLine.Replayed(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, ChatLine.Talk(nick, text))));
        }
    }

    [Fact]
    public void The_formats_are_the_documented_ones()
    {
        Assert.Equal("*** bye", ChatLine.Notice("bye"));
        Assert.Equal("<alice> hi", ChatLine.Talk("alice", "hi"));
        Assert.Equal("* alice waves", ChatLine.Action("alice", "waves"));
        Assert.Equal("*alice* psst", ChatLine.Private("alice", "psst"));
        Assert.Equal("-> *alice* psst", ChatLine.PrivateSent("alice", "psst"));
        var said = new DateTimeOffset(2026, 12, 6, 9, 5, 7, TimeSpan.Zero);
        Assert.Equal("[09:05] <alice> hi", ChatLine.Replayed(said, said.AddHours(3), "<alice> hi"));
        Assert.Equal("[2026-12-06 09:05] <alice> hi", ChatLine.Replayed(said, said.AddDays(1), "<alice> hi"));
    }

    /// <summary>The reader's rule, as docs/chat-protocol.md states it: the first two characters.</summary>
    private static Form FormOf(string line) => line.Length < 2 ? Form.Unknown : (line[0], line[1]) switch
    {
        ('<', _) => Form.Talk,
        ('-', '>') => Form.PrivateSent,
        ('[', _) => Form.History,
        ('!', ' ') => Form.Error,
        ('*', ' ') => Form.Action,
        ('*', '*') => Form.Notice,
        ('*', var c) when char.IsAsciiLetterOrDigit(c) || c is '_' or '-' => Form.Private,
        _ => Form.Unknown,
    };
}
