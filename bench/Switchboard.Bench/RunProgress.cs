using System.Diagnostics;
using System.Globalization;

namespace Switchboard.Bench;

/// <summary>
/// What the bench says on stderr while an engine runs. On a terminal, a bar that fills with the
/// time the load has run (full at <c>--duration</c>), redrawn in place and wiped when the run
/// ends, so that nothing of it is left between the rows of the table. Elsewhere (a pipe, a
/// file), no bar: one line when an engine's load starts.
/// </summary>
internal abstract class RunProgress : IDisposable
{
    /// <summary>A bar when both stdout and stderr are a terminal, lines otherwise.</summary>
    public static RunProgress ForConsole() =>
        Console.IsErrorRedirected || Console.IsOutputRedirected ? new PlainProgress() : new TerminalProgress();

    /// <summary>An engine's run begins: its server starts, its connections open.</summary>
    public abstract void Starting(string label);

    /// <summary>The load is on: elapsed time counts from now, up to <paramref name="duration"/> (null: no set length, e.g. opening connections).</summary>
    public abstract void Measuring(TimeSpan? duration);

    /// <summary>The run is over: the bar, if any, is wiped.</summary>
    public abstract void Finished();

    /// <summary>A line of its own on stderr (after wiping the bar).</summary>
    public abstract void Say(string line);

    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>One line per engine, when its load starts.</summary>
    private sealed class PlainProgress : RunProgress
    {
        private string _label = "";

        public override void Starting(string label) => _label = label;

        public override void Measuring(TimeSpan? duration) =>
            Console.Error.WriteLine(duration is { } d ? $"{_label}: measuring for {Seconds(d)}" : $"{_label}: measuring");

        public override void Finished()
        {
        }

        public override void Say(string line) => Console.Error.WriteLine(line);
    }

    /// <summary>A bar on the terminal's last line, redrawn five times a second.</summary>
    private sealed class TerminalProgress : RunProgress
    {
        private const int BarWidth = 30;
        private const string WipeLine = "\r\u001b[K";
        private static readonly TimeSpan RedrawEvery = TimeSpan.FromMilliseconds(200);

        private readonly Lock _lock = new();
        private readonly Timer _timer;
        private string? _label;
        private Stopwatch? _clock;
        private TimeSpan? _duration;

        public TerminalProgress() => _timer = new Timer(_ => Draw(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        public override void Starting(string label)
        {
            lock (_lock)
                (_label, _clock, _duration) = (label, null, null);
            Draw();
            _timer.Change(RedrawEvery, RedrawEvery);
        }

        public override void Measuring(TimeSpan? duration)
        {
            lock (_lock)
                (_clock, _duration) = (Stopwatch.StartNew(), duration);
            Draw();
        }

        public override void Finished()
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            lock (_lock)
            {
                _label = null;
                Console.Error.Write(WipeLine);
                Console.Error.Flush();
            }
        }

        public override void Say(string line)
        {
            lock (_lock)
            {
                Console.Error.Write(WipeLine);
                Console.Error.WriteLine(line);
                Console.Error.Flush();
            }
        }

        private void Draw()
        {
            lock (_lock)
            {
                if (_label is null)
                    return;
                string state;
                if (_clock is null)
                {
                    state = "starting";
                }
                else if (_duration is { } duration)
                {
                    var elapsed = _clock.Elapsed < duration ? _clock.Elapsed : duration;
                    int filled = (int)(BarWidth * elapsed.TotalSeconds / duration.TotalSeconds);
                    state = $"[{new string('#', filled)}{new string('.', BarWidth - filled)}] {elapsed.TotalSeconds:0.0} s of {Seconds(duration)}";
                }
                else
                {
                    state = $"{_clock.Elapsed.TotalSeconds:0.0} s";
                }

                Console.Error.Write($"{WipeLine}{_label}  {state}");
                Console.Error.Flush();
            }
        }

        public override void Dispose()
        {
            Finished();
            _timer.Dispose();
            base.Dispose();
        }
    }

    private static string Seconds(TimeSpan duration) =>
        duration.TotalSeconds.ToString(duration.TotalSeconds < 10 ? "0.###" : "0.#", CultureInfo.InvariantCulture) + " s";
}
