using System.Text;
using Switchboard.Clients;

namespace Switchboard.Tests.Clients;

public sealed class LineEditorTests
{
    [Fact]
    public void Printable_keys_make_the_line_and_Enter_completes_it()
    {
        var editor = new LineEditor();
        var lines = new List<string>();

        editor.Type("hello"u8, lines);
        Assert.Equal("hello", editor.Text);
        Assert.Empty(lines);

        editor.Type(" you\rnext"u8, lines);
        Assert.Equal(["hello you"], lines);
        Assert.Equal("next", editor.Text);
    }

    [Fact]
    public void Backspace_takes_off_one_character_even_one_of_several_bytes_or_with_an_accent()
    {
        var editor = new LineEditor();
        var lines = new List<string>();

        editor.Type(Encoding.UTF8.GetBytes("ab\u00e9e\u0301\U0001F600"), lines); // é precomposed, é combining, an emoji (a surrogate pair)
        editor.Type("\x7f"u8, lines);
        Assert.Equal("ab\u00e9e\u0301", editor.Text);
        editor.Type("\x7f"u8, lines);
        Assert.Equal("ab\u00e9", editor.Text);
        editor.Type("\b\x7f\x7f\x7f"u8, lines); // Ctrl-H too; more than there is does nothing
        Assert.Equal("", editor.Text);
    }

    [Fact]
    public void A_character_split_across_reads_is_put_together()
    {
        var editor = new LineEditor();
        var lines = new List<string>();
        byte[] u = Encoding.UTF8.GetBytes("\u00fc");

        editor.Type(u.AsSpan(0, 1), lines);
        editor.Type(u.AsSpan(1), lines);

        Assert.Equal("\u00fc", editor.Text);
    }

    [Fact]
    public void Ctrl_U_clears_the_line_and_arrow_keys_and_other_controls_but_Tab_are_ignored()
    {
        var editor = new LineEditor();
        var lines = new List<string>();

        editor.Type("abc\x15x\x1b[Ay\x1bOBz\x1b[1;5C\x01\x02!\t?"u8, lines);

        Assert.Equal("xyz!\t?", editor.Text); // a tab is kept: pasted text may have one
    }

    [Fact]
    public void Ctrl_D_ends_the_input_on_an_empty_line_only()
    {
        var editor = new LineEditor();
        var lines = new List<string>();

        editor.Type("abc\x04"u8, lines);
        Assert.False(editor.Ended);
        editor.Type("\r\x04more\r"u8, lines);

        Assert.True(editor.Ended);
        Assert.Equal(["abc"], lines); // nothing after the end
    }
}
