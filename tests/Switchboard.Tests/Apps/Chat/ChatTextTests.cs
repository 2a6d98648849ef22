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

    public static TheoryData<string> CleanTexts => new(
    [
        "hello, world",
        "tab\there",
        string.Concat(Enumerable.Range(' ', '~' - ' ' + 1).Select(c => (char)c)),
        "héllo wörld, ½ × ¾ = ⅜",
        "日本語のテキスト",
        "مرحبا بالعالم",
        "😀 👍🏽 🇫🇷",
        "e\u0301 and a\u0301\u0302\u0303\u0304",
        "👩\u200D👩\u200D👧 and 🏃\u200D♀\uFE0F and 👍🏽\u200D🔥",
        "\uFFFD is what bad bytes decode to",
    ]);

    [Theory]
    [MemberData(nameof(CleanTexts))]
    public void Clean_text_is_returned_as_it_is(string text) => Assert.Same(text, ChatText.Clean(text));

    [Theory]
    [InlineData("\u001b[31mred\u001b[0m", "red")]
    [InlineData("\u001b[2J\u001b[H\u001b[?25l", "")]
    [InlineData("\u001b[38;2;255;0;0mrgb", "rgb")]
    [InlineData("\u001b]0;pwned\u0007title", "title")]
    [InlineData("\u001b]8;;http://evil.example/\u001b\\link\u001b]8;;\u001b\\", "link")]
    [InlineData("\u001bP+q\u009cok", "ok")]
    [InlineData("\u001b]2;never ended", "")]
    [InlineData("\u001b(Bascii", "ascii")]
    [InlineData("\u001bcreset", "reset")]
    [InlineData("\u001b7saved\u001b8", "saved")]
    [InlineData("end\u001b", "end")]
    [InlineData("\u001b\u001b[1mbold", "bold")]
    [InlineData("\u001bé", "é")]
    [InlineData("\u009b31m", "31m")]
    [InlineData("a\u0000b\u0007c\u007fd\u0085e\rf", "abcdef")]
    [InlineData("abc\u202Edcba\u202C", "abcdcba")]
    [InlineData("\u202A\u202B\u202D\u2066\u2067\u2068\u2069x", "x")]
    [InlineData("\u200Ex\u200F\u061C", "x")]
    [InlineData("zero\u200Bwidth\u200Cnon\u200Djoin\u2060\u2061\u2062\u2063\u2064\uFEFF\u180E", "zerowidthnonjoin")]
    [InlineData("one\u2028two\u2029three", "onetwothree")]
    [InlineData("😀\u200D", "😀")]
    [InlineData("\u200D😀", "😀")]
    [InlineData("😀\u200D\u200D😀", "😀😀")]
    [InlineData("Z\u0336\u0336\u0336\u0336\u0336\u0336\u0336\u0336", "Z\u0336\u0336\u0336\u0336")]
    [InlineData("a\u0301\u0302\u0303\u0304\u0305b\u0301", "a\u0301\u0302\u0303\u0304b\u0301")]
    [InlineData("\u0301\u0301\u0301\u0301\u0301\u0301", "\u0301\u0301\u0301\u0301")]
    [InlineData("\u20DD\u20DD\u20DD\u20DD\u20DDo", "\u20DD\u20DD\u20DD\u20DDo")]
    [InlineData("x\U0001D167\U0001D167\U0001D167\U0001D167\U0001D167\U0001D167", "x\U0001D167\U0001D167\U0001D167\U0001D167")]
    [InlineData("e\u0301\u200B\u0301\u0301\u0301\u0301", "e\u0301\u0301\u0301\u0301")]
    public void Escapes_controls_invisibles_and_piled_up_marks_are_removed(string text, string clean) =>
        Assert.Equal(clean, ChatText.Clean(text));

    [Fact]
    public void A_long_zalgo_line_comes_out_bounded()
    {
        string zalgo = string.Concat(Enumerable.Repeat("a" + new string('\u0336', 100), 5));

        Assert.Equal(string.Concat(Enumerable.Repeat("a" + new string('\u0336', ChatText.MaxCombiningMarks), 5)), ChatText.Clean(zalgo));
    }
}
