using System.Globalization;
using System.Text.RegularExpressions;

namespace Switchboard.Tests.Support;

/// <summary>One scrape of a Prometheus text endpoint, parsed into samples a test can look up.</summary>
public sealed partial class PrometheusScrape
{
    private static readonly HttpClient Http = new() { Timeout = Timeouts.Quick };

    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

    private PrometheusScrape(string text)
    {
        Text = text;
        foreach (string line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
                continue;
            var match = Sample().Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            var labels = Label().Matches(match.Groups["labels"].Value)
                .ToDictionary(m => m.Groups["key"].Value, m => m.Groups["value"].Value);
            _samples.Add((match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>The body as served.</summary>
    public string Text { get; }

    public static async Task<PrometheusScrape> GetAsync(string url) => new(await Http.GetStringAsync(url));

    /// <summary>
    /// Scrapes until <paramref name="done"/> holds (counts reported when something ends arrive a
    /// moment after it), or fails after <see cref="Timeouts.Patient"/> showing the last scrape.
    /// </summary>
    public static async Task<PrometheusScrape> WaitUntilAsync(string url, Func<PrometheusScrape, bool> done)
    {
        var deadline = DateTime.UtcNow + Timeouts.Patient;
        while (true)
        {
            var scrape = await GetAsync(url);
            if (done(scrape))
                return scrape;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"the metrics never got there; last scrape:\n{scrape.Text}");
            await Task.Delay(50); // the next scrape: a poll of the server's own state, bounded above
        }
    }

    /// <summary>The sum of the samples of <paramref name="name"/> that carry every label in <paramref name="labels"/> ("key=value").</summary>
    public double Value(string name, params string[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l[..l.IndexOf('=')], out var v) && v == l[(l.IndexOf('=') + 1)..]))
            .Sum(s => s.Value);

    /// <summary>Whether any sample of <paramref name="name"/> is served.</summary>
    public bool Has(string name) => _samples.Any(s => s.Name == name);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)( \d+)?$""")]
    private static partial Regex Sample();

    [GeneratedRegex("""(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(\\.|[^"\\])*)",?""")]
    private static partial Regex Label();
}
