using Switchboard.Apps.Chat;

namespace Switchboard.Tests.Apps.Chat;

/// <summary>The five line forms of docs/chat-protocol.md: the first two characters tell them apart, whatever the text.</summary>
public sealed class ChatLineTests
{
    private enum Form
    {
        Talk,
        Action,
        Private,
        Notice,
        Error,
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
        }
    }

    [Fact]
    public void The_formats_are_the_documented_ones()
    {
        Assert.Equal("*** bye", ChatLine.Notice("bye"));
        Assert.Equal("<alice> hi", ChatLine.Talk("alice", "hi"));
        Assert.Equal("* alice waves", ChatLine.Action("alice", "waves"));
        Assert.Equal("*alice* psst", ChatLine.Private("alice", "psst"));
    }

    /// <summary>The reader's rule, as docs/chat-protocol.md states it: the first two characters.</summary>
    private static Form FormOf(string line) => line.Length < 2 ? Form.Unknown : (line[0], line[1]) switch
    {
        ('<', _) => Form.Talk,
        ('!', ' ') => Form.Error,
        ('*', ' ') => Form.Action,
        ('*', '*') => Form.Notice,
        ('*', var c) when char.IsAsciiLetterOrDigit(c) || c is '_' or '-' => Form.Private,
        _ => Form.Unknown,
    };
}
