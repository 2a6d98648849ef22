using System.Globalization;
using System.Linq.Expressions;

namespace Switchboard.Bench;

/// <summary>
/// The results of one scenario as a table of plain text on stdout, printed a row at a time as
/// each engine finishes: the header before the first engine runs, then its row, and so on. Rows
/// of runs that failed, were cut short or did not run end with a note saying so.
/// </summary>
internal sealed class ResultTable
{
    private const string Gap = "  ";

    private readonly TextWriter _out;
    private readonly TimeSpan _duration;
    private readonly IReadOnlyList<Column> _columns;
    private readonly int _engineWidth;
    private readonly bool _spread;

    /// <summary>One column: its heading, the figure (the <see cref="BenchResult"/> property it reads, for the spread), its format.</summary>
    private sealed class Column
    {
        public Column(string name, Expression<Func<BenchResult, double?>> value, string format)
        {
            Name = name;
            Value = value.Compile();
            Format = format;
            Property = PropertyRead.Find(value.Body);
        }

        public string Name { get; }

        public Func<BenchResult, double?> Value { get; }

        public string Format { get; }

        public string? Property { get; }

        /// <summary>Scales a spread in the property's units as <see cref="Value"/> scales the property (MiB from bytes).</summary>
        public double Scale(BenchResult result, double raw) =>
            Property is null || Value(result) is not { } shown || ReadRaw(result) is not { } original || original == 0 ? raw : raw * shown / original;

        private double? ReadRaw(BenchResult result) =>
            typeof(BenchResult).GetProperty(Property!)!.GetValue(result) is { } v ? Convert.ToDouble(v, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>Finds the property a column's expression reads.</summary>
    private sealed class PropertyRead : ExpressionVisitor
    {
        private string? _name;

        public static string? Find(Expression expression)
        {
            var visitor = new PropertyRead();
            visitor.Visit(expression);
            return visitor._name;
        }

        protected override Expression VisitMember(MemberExpression node)
        {
            _name ??= node.Member.Name;
            return base.VisitMember(node);
        }
    }

    public ResultTable(string scenario, IEnumerable<string> engines, TimeSpan duration, bool chatOverNodes, bool spread, TextWriter output)
    {
        _out = output;
        _duration = duration;
        _spread = spread;
        _columns = Columns(scenario, chatOverNodes);
        _engineWidth = Math.Max("engine".Length, engines.Select(e => e.Length).DefaultIfEmpty(0).Max());
    }

    /// <summary>The scenario's name and the column headings.</summary>
    public void WriteHeader(string title)
    {
        _out.WriteLine(title);
        var cells = _columns.Select(c => c.Name.PadLeft(Width(c)));
        _out.WriteLine(string.Join(Gap, ["engine".PadRight(_engineWidth), .. cells, "note"]).TrimEnd());
        _out.Flush();
    }

    /// <summary>One engine's row; with repeated runs each figure is the median, with its lowest–highest beside it.</summary>
    public void WriteRow(BenchResult result)
    {
        var cells = _columns.Select(c => Cell(c, result).PadLeft(Width(c)));
        string note = ResultStatus.Note(result, _duration);
        if (result.Runs > 1)
            note = note.Length == 0 ? $"median of {result.Runs} runs" : $"median of {result.Runs} runs; {note}";
        _out.WriteLine(string.Join(Gap, [result.Engine.PadRight(_engineWidth), .. cells, note]).TrimEnd());
        _out.Flush();
    }

    public void WriteLine(string line)
    {
        _out.WriteLine(line);
        _out.Flush();
    }

    private int Width(Column column) => Math.Max(column.Name.Length, _spread ? 24 : 10);

    private static string Cell(Column column, BenchResult result)
    {
        if (result.NotRun || column.Value(result) is not { } value)
            return "-";
        string text = value.ToString(column.Format, CultureInfo.InvariantCulture);
        if (column.Property is { } property && result.Spread?.GetValueOrDefault(property) is { } spread)
        {
            string low = column.Scale(result, spread.Min).ToString(column.Format, CultureInfo.InvariantCulture);
            string high = column.Scale(result, spread.Max).ToString(column.Format, CultureInfo.InvariantCulture);
            text += $" ({low}–{high})";
        }

        return text;
    }

    private static Column[] Columns(string scenario, bool chatOverNodes)
    {
        var columns = scenario switch
        {
            "latency" => new Column[]
            {
                new("msg/s", r => r.MessagesPerSecond, "N0"), new("p50 µs", r => r.LatencyP50Micros, "N0"), new("p99 µs", r => r.LatencyP99Micros, "N0"),
                new("p99.9 µs", r => r.LatencyP999Micros, "N0"), new("server CPU ns/msg", r => r.ServerCpuNanosPerMessage, "N0"),
                new("server cores", r => r.ServerCpuCores, "F2"), new("loadgen cores", r => r.LoadGeneratorCpuCores, "F2"), new("errors", r => r.Errors, "N0"),
            },
            "connections" => new Column[]
            {
                new("connections", r => r.Messages, "N0"), new("accepts/s", r => r.AcceptsPerSecond, "N0"),
                new("server CPU µs/accept", r => r.ServerCpuMicrosPerAccept, "F1"), new("overflows", r => r.ListenOverflows, "N0"), new("RSS B/conn", r => r.RssBytesPerConnection, "N0"),
                new("peak RSS B/conn", r => r.PeakRssGrowthPerConnection, "N0"), new("answered", r => r.Answered, "N0"), new("server peak RSS MiB", r => r.ServerPeakRssBytes / 1048576.0, "N0"),
                new("loadgen cores", r => r.LoadGeneratorCpuCores, "F2"), new("errors", r => r.Errors, "N0"),
            },
            "chat" => new Column[]
            {
                new("deliveries/s", r => r.MessagesPerSecond, "N0"), new("p50 µs", r => r.LatencyP50Micros, "N0"), new("p99 µs", r => r.LatencyP99Micros, "N0"),
                new("server CPU ns/delivery", r => r.ServerCpuNanosPerMessage, "N0"), new("server cores", r => r.ServerCpuCores, "F2"),
                new("loadgen cores", r => r.LoadGeneratorCpuCores, "F2"),
            },
            "time" => new Column[]
            {
                new("ticks/s", r => r.MessagesPerSecond, "N0"), new("late p50 µs", r => r.LatencyP50Micros, "N0"), new("late p99 µs", r => r.LatencyP99Micros, "N0"),
                new("late p99.9 µs", r => r.LatencyP999Micros, "N0"), new("server cores", r => r.ServerCpuCores, "F2"), new("loadgen cores", r => r.LoadGeneratorCpuCores, "F2"),
            },
            "churn" => new Column[]
            {
                new("connections/s", r => r.MessagesPerSecond, "N0"), new("server CPU ns/conn", r => r.ServerCpuNanosPerMessage, "N0"),
                new("server cores", r => r.ServerCpuCores, "F2"), new("loadgen cores", r => r.LoadGeneratorCpuCores, "F2"), new("errors", r => r.Errors, "N0"),
            },
            _ => new Column[]
            {
                new("msg/s", r => r.MessagesPerSecond, "N0"), new("MiB/s", r => r.MebibytesPerSecond, "N1"), new("server CPU ns/msg", r => r.ServerCpuNanosPerMessage, "N0"),
                new("server cores", r => r.ServerCpuCores, "F2"), new("loadgen cores", r => r.LoadGeneratorCpuCores, "F2"),
                new("server peak RSS MiB", r => r.ServerPeakRssBytes / 1048576.0, "N0"), new("errors", r => r.Errors, "N0"),
            },
        };
        if (chatOverNodes)
        {
            // several nodes: the lines that crossed from one node to another, apart
            columns =
            [
                .. columns.Take(3),
                new("cross-node", r => r.CrossNodeDeliveries, "N0"), new("cross-node p50 µs", r => r.CrossNodeLatencyP50Micros, "N0"),
                new("cross-node p99 µs", r => r.CrossNodeLatencyP99Micros, "N0"), .. columns.Skip(3),
            ];
        }

        return columns;
    }
}
