using System.CommandLine;
using System.Globalization;
using System.Numerics;

namespace Switchboard.Cli;

/// <summary>Small helpers shared by the commands.</summary>
internal static class Cli
{
    /// <summary>Prints <c>switchboard: MESSAGE</c> on stderr and returns <paramref name="exitCode"/>.</summary>
    public static int Fail(int exitCode, string message)
    {
        BatchedLogWriter.FlushAll(); // after the log lines before it
        Console.Error.WriteLine($"switchboard: {message}");
        return exitCode;
    }

    /// <summary>The option's name as the user typed it (<c>-p</c> or <c>--port</c>); its name when not given.</summary>
    public static string Flag(ParseResult parse, Option option) => OptionNames.AsTyped(parse, option);
}

/// <summary>
/// Range checks of numeric options, made before any settings are built, so that the error names
/// the flag as typed: <c>--backlog must be at least 1 (got 0)</c>. Each returns the error, or null
/// when the value is fine or was not given.
/// </summary>
internal static class OptionChecks
{
    /// <summary><paramref name="option"/> must be at least <paramref name="min"/>.</summary>
    public static string? AtLeast<T>(ParseResult parse, Option<T> option, T min)
        where T : struct, INumber<T> =>
        Check(parse, option, parse.GetValue(option), min, null);

    /// <summary>A nullable option, when given, must be at least <paramref name="min"/>.</summary>
    public static string? AtLeast<T>(ParseResult parse, Option<T?> option, T min)
        where T : struct, INumber<T> =>
        parse.GetValue(option) is { } value ? Check(parse, option, value, min, null) : null;

    /// <summary>0 or more, where 0 means <paramref name="zeroMeans"/> (e.g. "off").</summary>
    public static string? ZeroOrMore<T>(ParseResult parse, Option<T> option, string zeroMeans)
        where T : struct, INumber<T> =>
        Check(parse, option, parse.GetValue(option), T.Zero, zeroMeans);

    /// <summary>A nullable option, when given, 0 or more, where 0 means <paramref name="zeroMeans"/>.</summary>
    public static string? ZeroOrMore<T>(ParseResult parse, Option<T?> option, string zeroMeans)
        where T : struct, INumber<T> =>
        parse.GetValue(option) is { } value ? Check(parse, option, value, T.Zero, zeroMeans) : null;

    /// <summary>More than 0 (and a number): <c>--rate must be more than 0 lines a second (got 0)</c>.</summary>
    public static string? MoreThanZero(ParseResult parse, Option<double> option, string unit)
    {
        double value = parse.GetValue(option);
        return value > 0 ? null : $"{Cli.Flag(parse, option)} must be more than 0 {unit} (got {Text(value)})";
    }

    /// <summary>A port from <paramref name="min"/> to 65535: <c>--port: bad port 70000 (0-65535)</c>.</summary>
    public static string? Port(string flag, int port, int min) =>
        port >= min && port <= 65535 ? null : $"{flag}: bad port {port} ({min}-65535)";

    private static string? Check<T>(ParseResult parse, Option option, T value, T min, string? zeroMeans)
        where T : struct, INumber<T>
    {
        if (value >= min)
            return null;
        string least = T.IsZero(min)
            ? zeroMeans is null ? "0 or more" : $"0 ({zeroMeans}) or more"
            : $"at least {Text(min)}";
        return $"{Cli.Flag(parse, option)} must be {least} (got {Text(value)})";
    }

    private static string Text<T>(T value)
        where T : INumber<T> =>
        value.ToString(null, CultureInfo.InvariantCulture);
}
