using HdrHistogram;

namespace Switchboard.Bench;

/// <summary>The histograms the scenarios record into: Stopwatch ticks up to 10 s, 3 significant digits.</summary>
internal static class Histograms
{
    public static LongHistogram Create() => new(TimeStamp.Seconds(10), 3);

    public static LongHistogram Merge(IEnumerable<LongHistogram> parts)
    {
        var total = Create();
        foreach (var part in parts)
            total.Add(part);
        return total;
    }
}
