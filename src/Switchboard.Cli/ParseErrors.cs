using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Switchboard.Cli;

/// <summary>Turns System.CommandLine's parse errors into the one line a user sees.</summary>
internal static partial class ParseErrors
{
    /// <param name="errors">The parser's errors.</param>
    /// <param name="origins">Options set from a file or the environment, named as there (see <see cref="OptionNames.Origins"/>).</param>
    public static string Describe(IReadOnlyList<ParseError> errors, IReadOnlyDictionary<string, string>? origins = null)
    {
        // An unknown word explains the others ("required command was not provided"), so it goes first.
        var first = errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? errors[0];
        string message = TypeName().Replace(first.Message, "");

        // A bad value for an enum option comes with "Did you mean one of the following?" and a
        // suggestion a line: keep to one line, with the choices in brackets.
        string[] lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        message = lines[0];
        if (lines.Length > 1)
        {
            int question = message.IndexOf(" Did you mean", StringComparison.Ordinal);
            if (question >= 0)
                message = message[..question];
            message = $"{message.TrimEnd('.')} (choose from: {string.Join(", ", lines[1..])})";
        }

        message = message.TrimEnd('.');
        foreach (var (name, origin) in origins ?? new Dictionary<string, string>())
        {
            // "Cannot parse argument 'abc' for option '--port'", of a value from a file: "serve.json: port: bad value 'abc'".
            if (CannotParse().Match(message) is { Success: true } bad && bad.Groups["option"].Value == name)
                return $"{origin}: bad value '{bad.Groups["value"].Value}'";
            message = message.Replace($"'{name}'", origin, StringComparison.Ordinal);
            if (message.StartsWith(name + ":", StringComparison.Ordinal) || message.StartsWith(name + " ", StringComparison.Ordinal))
                message = origin + message[name.Length..];
        }

        return char.ToLowerInvariant(message[0]) + message[1..];
    }

    [GeneratedRegex("^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']+)'$")]
    private static partial Regex CannotParse();

    // "... as expected type 'System.Nullable`1[System.Int32]'" says nothing to a user.
    [GeneratedRegex(@" as expected type '[^']*'")]
    private static partial Regex TypeName();
}
