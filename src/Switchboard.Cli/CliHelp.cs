using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Switchboard.Cli;

/// <summary>
/// <c>--help</c> as System.CommandLine writes it, except that the list of commands shows
/// <c>connect</c>'s arguments as <c>connect --help</c> does, both optional
/// (<c>connect [&lt;host&gt; [&lt;port&gt;]]</c>), not as if they were required. System.CommandLine
/// offers no way to change that row, so the text it writes is amended.
/// </summary>
internal sealed class CliHelp : SynchronousCommandLineAction
{
    private const string RequiredLooking = "connect <host> <port>";

    private readonly SynchronousCommandLineAction _default;

    private CliHelp(SynchronousCommandLineAction defaultAction) => _default = defaultAction;

    /// <summary>Puts this help in place of the root's (which every command's <c>--help</c> shares).</summary>
    public static void Install(RootCommand root)
    {
        var option = root.Options.OfType<HelpOption>().First();
        option.Action = new CliHelp((SynchronousCommandLineAction)option.Action!);
    }

    public override int Invoke(ParseResult parseResult)
    {
        var configuration = parseResult.InvocationConfiguration;
        var output = configuration.Output;
        using var text = new StringWriter();
        configuration.Output = text;
        int code;
        try
        {
            code = _default.Invoke(parseResult);
        }
        finally
        {
            configuration.Output = output;
        }

        output.Write(Amend(text.ToString()));
        return code;
    }

    /// <summary>
    /// Writes connect's row as <see cref="ConnectCommand.Usage"/>, moving the descriptions of every
    /// command right by as many columns as that is longer, so that they stay aligned.
    /// </summary>
    internal static string Amend(string help)
    {
        string[] lines = help.Split('\n');
        int row = Array.FindIndex(lines, l => l.TrimStart().StartsWith(RequiredLooking + "  ", StringComparison.Ordinal));
        if (row < 0)
            return help;
        int start = Array.FindLastIndex(lines, row, l => l.Length > 0 && !char.IsWhiteSpace(l[0])) + 1; // after "Commands:"
        int end = Array.FindIndex(lines, row, l => l.Trim().Length == 0);
        end = end < 0 ? lines.Length : end;
        int indent = lines[row].Length - lines[row].TrimStart().Length;
        int column = indent + RequiredLooking.Length;
        while (column < lines[row].Length && lines[row][column] == ' ')
            column++;
        int shift = Math.Max(0, ConnectCommand.Usage.Length - RequiredLooking.Length);
        for (int i = start; i < end; i++)
        {
            if (lines[i].Length >= column)
                lines[i] = lines[i][..column] + new string(' ', shift) + lines[i][column..];
        }

        string label = lines[row].Substring(indent, column + shift - indent);
        lines[row] = lines[row][..indent] + ConnectCommand.Usage.PadRight(label.Length) + lines[row][(column + shift)..];
        return string.Join('\n', lines);
    }
}
