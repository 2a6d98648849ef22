using System.Globalization;

namespace Switchboard.Engines;

/// <summary>Reads the values given to <see cref="Engine.WithSettings"/>, with one clear line for a value that is not understood.</summary>
internal static class EngineSettingValues
{
    /// <summary>The whole number given for <paramref name="setting"/>, or <paramref name="current"/> when none was.</summary>
    public static int Count(IReadOnlyDictionary<string, string> values, EngineSetting setting, int current)
    {
        if (!values.TryGetValue(setting.Name, out string? text))
            return current;
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new ArgumentException($"bad --{setting.Name} '{text}': must be a whole number");
    }

    /// <summary>The range MIN..MAX given for <paramref name="setting"/>, or <paramref name="current"/> when none was.</summary>
    public static (int Min, int Max) Range(IReadOnlyDictionary<string, string> values, EngineSetting setting, (int Min, int Max) current)
    {
        if (!values.TryGetValue(setting.Name, out string? text))
            return current;
        string[] parts = text.Split("..");
        return parts.Length == 2 && TryParse(parts[0], out int min) && TryParse(parts[1], out int max)
            ? (min, max)
            : throw new ArgumentException($"bad --{setting.Name} '{text}': write MIN..MAX, e.g. {setting.DefaultValue}");
    }

    private static bool TryParse(string text, out int number) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out number);
}
