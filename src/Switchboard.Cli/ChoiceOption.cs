using System.CommandLine;
using System.CommandLine.Parsing;

namespace Switchboard.Cli;

/// <summary>
/// An option whose value is one of an enum's names, written and shown in lower case (any case is
/// accepted; numbers are not): the default in <c>--help</c> and the choices in an error read as
/// the user would type them, e.g. <c>--wait: unknown mode 'epoll' (choose from: poll, select, async)</c>.
/// </summary>
internal sealed class ChoiceOption<T>
    where T : struct, Enum
{
    /// <summary>The names accepted, lower case, in the enum's order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Enum.GetValues<T>().Select(v => v.ToString().ToLowerInvariant())];

    /// <param name="kind">What a value is, for the error: "mode", "level".</param>
    public ChoiceOption(string name, string description, T defaultValue, string kind, string helpName, params string[] aliases)
    {
        Option = new Option<string>(name, aliases)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue.ToString().ToLowerInvariant(),
            CustomParser = result => Parse(result, name, kind),
            HelpName = helpName,
        };
    }

    /// <summary>The option to add to a command.</summary>
    public Option<string> Option { get; }

    /// <summary>The value given, or the default.</summary>
    public T GetValue(ParseResult parse) => Enum.Parse<T>(parse.GetRequiredValue(Option), ignoreCase: true);

    private static string Parse(ArgumentResult result, string name, string kind)
    {
        string flag = (result.Parent as OptionResult)?.IdentifierToken?.Value ?? name;
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        string? known = Names.FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
        if (known is null)
            result.AddError($"{flag}: unknown {kind} '{text}' (choose from: {string.Join(", ", Names)})");
        return known ?? "";
    }
}
