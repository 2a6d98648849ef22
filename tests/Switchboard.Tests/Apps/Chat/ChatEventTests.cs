using System.Text;
using Switchboard.Apps.Chat;

namespace Switchboard.Tests.Apps.Chat;

public sealed class ChatEventTests
{
    [Fact]
    public void An_event_crosses_processes_unchanged()
    {
        var sent = new ChatEvent(ChatEventKind.RoomList)
        {
            Nick = "alice",
            Room = "den",
            Other = "bob",
            Count = 3,
            Names = ["den", "lobby"],
            Sizes = [2, 7],
            Text = "text with , commas and a \u2603",
            Time = DateTimeOffset.FromUnixTimeMilliseconds(1_764_000_000_123),
        };

        var received = ChatEventCodec.Decode(ChatEventCodec.Instance.Encode(sent));

        Assert.Equal(sent.ToString(), received.ToString());
        Assert.Equal((sent.Kind, sent.Nick, sent.Room, sent.Other, sent.Count, sent.Text, sent.Time), (received.Kind, received.Nick, received.Room, received.Other, received.Count, received.Text, received.Time));
        Assert.Equal(sent.Names, received.Names);
        Assert.Equal(sent.Sizes, received.Sizes);
    }

    [Fact]
    public void Each_format_encodes_an_event_once()
    {
        var e = new ChatEvent(ChatEventKind.Talk) { Nick = "alice", Room = "lobby", Text = "hi" };

        var first = e.EncodedAs(ChatFormat.Lines);
        var again = e.EncodedAs(ChatFormat.Lines);

        Assert.Equal("<alice> hi\n", Encoding.UTF8.GetString(first.Span));
        Assert.True(first.Span == again.Span, "the second call made new bytes");
    }
}
