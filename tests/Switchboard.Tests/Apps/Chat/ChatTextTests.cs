using Switchboard.Apps.Chat;

namespace Switchboard.Tests.Apps.Chat;

/// <summary>The chat's text rules: what names look like, and what is removed from what users type.</summary>
public sealed class ChatTextTests
{
    [Theory]
    [InlineData("alice", "allce")]
    [InlineData("ALICE", "allce")]
    [InlineData("aIice", "allce")]
    [InlineData("a1ice", "allce")]
    [InlineData("Bob", "bob")]
    [InlineData("B0B", "bob")]
    [InlineData("rnary", "mary")]
    [InlineData("RNary", "mary")]
    [InlineData("vvendy", "wendy")]
    [InlineData("vvv", "wv")]
    [InlineData("rnn", "mn")]
    [InlineData("x_y-z", "x_y-z")]
    public void A_skeleton_is_what_a_name_looks_like(string name, string skeleton) =>
        Assert.Equal(skeleton, ChatText.Skeleton(name));
}
