using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Switchboard.Cli;

/// <summary>Turns System.CommandLine's parse errors into the one line a user sees.</summary>
internal static partial class ParseErrors
{
    public static string Describe(IReadOnlyList<ParseError> errors)
    {
        // An unknown word explains the others ("required command was not provided"), so it goes first.
        var first = errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? errors[0];
        string message = TypeName().Replace(first.Message, "").TrimEnd('.');
        return char.ToLowerInvariant(message[0]) + message[1..];
    }

    // "... as expected type 'System.Nullable`1[System.Int32]'" says nothing to a user.
    [GeneratedRegex(@" as expected type '[^']*'")]
    private static partial Regex TypeName();
}
