using System.Text;
using Switchboard.Clients;

namespace Switchboard.Tests.Clients;

public sealed class LinesDisplayTests
{
    private const string Erase = "\x1b[K";

    [Fact]
    public void A_line_that_arrives_while_typing_is_printed_above_and_the_typing_drawn_again()
    {
        var output = new StringWriter();
        var editor = new LineEditor();
        var display = new LinesDisplay(output, spinner: false, terminal: true, editor);

        editor.Type("half"u8, []);
        display.Typing();
        display.Received("news\nmore "u8);
        display.Received("news\n"u8);

        Assert.Equal(
            $"\rhalf{Erase}" +
            $"\r{Erase}Received: news\n\rhalf{Erase}" +
            $"\r{Erase}Received: more news\n\rhalf{Erase}",
            output.ToString());
        Assert.Equal(["Received: news", "Received: more news", "half"], TerminalScreen.Of(output.ToString()).Lines);
    }

    [Fact]
    public void A_sent_line_stays_on_screen_and_the_spinner_comes_back_before_what_is_typed_next()
    {
        var output = new StringWriter();
        var editor = new LineEditor();
        var display = new LinesDisplay(output, spinner: true, terminal: true, editor);

        display.Idle();
        editor.Type("hi\rne"u8, []);
        display.Sent("hi");
        display.Typing();

        Assert.Equal(["hi", "|......... ne"], TerminalScreen.Of(output.ToString()).Lines);
    }

    [Fact]
    public void Ctrl_C_wipes_the_whole_status_line_keeps_what_was_typed_and_ends_the_line()
    {
        var output = new StringWriter();
        var editor = new LineEditor();
        var display = new LinesDisplay(output, spinner: true, terminal: true, editor);
        for (int i = 0; i < 3; i++)
            display.Idle();
        editor.Type("unsent"u8, []);
        display.Typing();
        output.Write("^C and whatever else the terminal echoed"); // the terminal's own echo, past the spinner

        display.Cancelled();

        string text = output.ToString();
        Assert.EndsWith($"\r{Erase}unsent^C\n", text, StringComparison.Ordinal);
        Assert.Equal(["unsent^C"], TerminalScreen.Of(text).Lines);
    }

    [Fact]
    public void Typing_longer_than_the_terminal_is_wide_shows_its_end_on_one_line()
    {
        var output = new StringWriter();
        var editor = new LineEditor();
        var display = new LinesDisplay(output, spinner: false, terminal: true, editor);
        string typed = new string('x', 500) + "END";

        editor.Type(Encoding.UTF8.GetBytes(typed), []);
        display.Typing();

        string shown = TerminalScreen.Of(output.ToString()).Lines.Single();
        Assert.EndsWith("END", shown, StringComparison.Ordinal);
        Assert.True(shown.Length < LinesDisplay.TerminalWidth(), $"{shown.Length} columns");
    }

    [Fact]
    public void Not_on_a_terminal_Ctrl_C_writes_nothing_more()
    {
        var output = new StringWriter();
        var display = new LinesDisplay(output, spinner: false, terminal: false, editor: null);
        display.Received("partial"u8);

        display.Cancelled();

        Assert.Equal("Received: partial\n", output.ToString());
    }
}
