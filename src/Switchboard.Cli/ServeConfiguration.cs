using System.CommandLine;
using System.CommandLine.Help;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;

namespace Switchboard.Cli;

/// <summary>
/// <c>serve</c>'s settings from outside the command line: a JSON file (<c>--config FILE</c>) and
/// environment variables (<c>SWITCHBOARD_MAX_CONNECTIONS=…</c>), read with
/// Microsoft.Extensions.Configuration. A key is a serve option's name without its dashes
/// (<c>"max-connections": 1000</c>), or <c>app</c>; an environment variable is the same name in
/// capitals with <c>_</c> for <c>-</c>. Flags win over the environment, which wins over the file.
/// <para>
/// What is found becomes command-line tokens for the options the command line did not give, so
/// that one parser and one set of checks judge every value wherever it came from; the messages
/// then name the key where it was written (<see cref="OptionNames.Origins"/>):
/// <c>serve.json: max-connections must be at least 1 (got 0)</c>.
/// </para>
/// </summary>
internal static class ServeConfiguration
{
    /// <summary>The environment's prefix.</summary>
    public const string EnvironmentPrefix = "SWITCHBOARD_";

    // Variables of the program's own, not settings (a forking worker's descriptors).
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { Hosting.Prefork.WorkerEnvironmentVariable };

    /// <summary>
    /// <paramref name="args"/> with what the file and the environment set added, when the command
    /// is <c>serve</c>; otherwise <paramref name="args"/> as they are. False, with the one-line
    /// error, when the file cannot be read or names a key serve does not have.
    /// </summary>
    public static bool TryExpand(RootCommand root, Command serve, Option<string?> configOption, string[] args, out string[] expanded, [NotNullWhen(false)] out string? error)
    {
        expanded = args;
        error = null;
        if (args is not ["serve", ..])
            return true;
        var parse = root.Parse(args);
        if (parse.CommandResult.Command != serve)
            return true;

        var settable = Settable(serve, configOption);
        var found = new List<(string Key, string Value, string Origin)>();
        if (parse.GetValue(configOption) is { } path && !TryReadFile(path, settable, found, out error))
            return false;
        if (!TryReadEnvironment(settable, found, out error))
            return false;

        // Later sources win: the environment over the file. The command line wins over both.
        var chosen = new Dictionary<string, (string Value, string Origin)>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value, origin) in found)
            chosen[key] = (value, origin);
        var tokens = new List<string>(args);
        foreach (var (key, (value, origin)) in chosen)
        {
            if (key == "app")
            {
                if (parse.GetResult(serve.Arguments[0]) is not { Tokens.Count: > 0 })
                {
                    tokens.Insert(1, value);
                    OptionNames.Origins[key] = origin;
                }

                continue;
            }

            var option = settable[key]!;
            if (parse.GetResult(option) is { IdentifierToken: not null })
                continue; // given on the command line
            if (option is Option<bool>)
            {
                if (!bool.TryParse(value, out bool on))
                {
                    error = $"{origin}: bad value '{value}': write true or false";
                    return false;
                }

                if (on)
                    tokens.Add(option.Name);
            }
            else
            {
                tokens.Add(option.Name);
                tokens.Add(value);
            }

            OptionNames.Origins[option.Name] = origin;
        }

        expanded = [.. tokens];
        return true;
    }

    /// <summary>The keys a file may set: every option of serve's but the file itself and help, by name without dashes; and the app.</summary>
    private static Dictionary<string, Option?> Settable(Command serve, Option configOption)
    {
        var keys = new Dictionary<string, Option?>(StringComparer.OrdinalIgnoreCase) { ["app"] = null };
        foreach (var option in serve.Options)
        {
            if (option == configOption || option is HelpOption || !option.Name.StartsWith("--", StringComparison.Ordinal))
                continue;
            keys[option.Name[2..]] = option;
        }

        return keys;
    }

    private static bool TryReadFile(string path, Dictionary<string, Option?> settable, List<(string, string, string)> found, [NotNullWhen(false)] out string? error)
    {
        IConfigurationRoot file;
        if (!File.Exists(path))
        {
            error = $"--config: cannot read {path}: {(Directory.Exists(path) ? "a directory, not a file" : "no such file")}";
            return false;
        }

        try
        {
            file = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(path), optional: false, reloadOnChange: false).Build();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or FormatException or ArgumentException)
        {
            error = $"--config: cannot read {path}: {Reason(e)}";
            return false;
        }

        string name = Path.GetFileName(path);
        foreach (var section in file.GetChildren())
        {
            if (!settable.ContainsKey(section.Key))
            {
                error = $"{name}: unknown key '{section.Key}' (the keys are serve's options without their dashes: {string.Join(", ", settable.Keys.Order(StringComparer.Ordinal))})";
                return false;
            }

            // A list (limit-exempt) may be written as a JSON array: its items, comma-separated.
            string? value = section.Value ?? (section.GetChildren().Any() ? string.Join(",", section.GetChildren().Select(item => item.Value)) : null);
            if (value is null)
            {
                error = $"{name}: {section.Key}: write a value (a number, a string, true or false), not an object";
                return false;
            }

            found.Add((section.Key.ToLowerInvariant(), value, $"{name}: {section.Key}"));
        }

        error = null;
        return true;
    }

    private static bool TryReadEnvironment(Dictionary<string, Option?> settable, List<(string, string, string)> found, [NotNullWhen(false)] out string? error)
    {
        error = null;
        foreach (var (variable, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                     .Select(e => ((string)e.Key, (string?)e.Value ?? ""))
                     .Where(e => e.Item1.StartsWith(EnvironmentPrefix, StringComparison.Ordinal) && !Reserved.Contains(e.Item1))
                     .OrderBy(e => e.Item1, StringComparer.Ordinal))
        {
            string key = variable[EnvironmentPrefix.Length..].ToLowerInvariant().Replace('_', '-');
            if (!settable.ContainsKey(key))
            {
                error = $"unknown environment variable {variable} (serve's are {EnvironmentPrefix} and an option's name: {EnvironmentPrefix}MAX_CONNECTIONS for --max-connections)";
                return false;
            }

            found.Add((key, value, variable));
        }

        return true;
    }

    /// <summary>The reader's message, without its stack of wrappers: "Could not parse the JSON file" says which line.</summary>
    private static string Reason(Exception e)
    {
        var innermost = e;
        while (innermost.InnerException is { } inner)
            innermost = inner;
        string message = innermost == e ? e.Message : $"{e.Message.TrimEnd('.')}: {innermost.Message}";
        return message.ReplaceLineEndings(" ").TrimEnd('.');
    }
}
