using System.CommandLine;

namespace Switchboard.Cli;

/// <summary>How an option was written on the command line, for messages. Shared as source with the benchmark.</summary>
internal static class OptionNames
{
    /// <summary>The option's name as the user typed it (<c>-p</c> or <c>--port</c>); its name when not given.</summary>
    public static string AsTyped(ParseResult parse, Option option) =>
        parse.GetResult(option)?.IdentifierToken?.Value ?? option.Name;
}
