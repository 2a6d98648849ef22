using System.Globalization;
using System.Xml.Linq;

namespace Switchboard.Tests.Support;

/// <summary>What a chart says in words: the text elements of an SVG file, in document order, trimmed.</summary>
public static class SvgTexts
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    public static IReadOnlyList<string> Read(string path) =>
        [.. XDocument.Load(path).Descendants(Svg + "text").Select(t => t.Value.Trim())];

    /// <summary>A bar's value label as the charts write it: 1,234, 12.3, 1.23 (grouped, with a unit's worth of digits).</summary>
    public static string BarLabel(double value) =>
        value.ToString(value >= 100 ? "N0" : value >= 10 ? "N1" : "N2", CultureInfo.InvariantCulture);
}
