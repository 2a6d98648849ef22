using System.CommandLine;

namespace Switchboard.Cli;

/// <summary>How an option was written on the command line, for messages. Shared as source with the benchmark.</summary>
internal static class OptionNames
{
    /// <summary>
    /// Options set from elsewhere than the command line (serve's configuration file or
    /// environment), by option name: where, as messages name it (<c>serve.json: max-connections</c>).
    /// </summary>
    public static Dictionary<string, string> Origins { get; } = new(StringComparer.Ordinal);

    /// <summary>The option's name as the user typed it (<c>-p</c> or <c>--port</c>), or where it was set; its name when not given.</summary>
    public static string AsTyped(ParseResult parse, Option option) =>
        Origins.TryGetValue(option.Name, out string? origin) ? origin : parse.GetResult(option)?.IdentifierToken?.Value ?? option.Name;
}
