using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Switchboard.Cli;

/// <summary>
/// The log's one writer to stderr: lines are formatted on the thread that logs (by the console
/// formatter of the chosen format) and queued; a thread of its own writes what has gathered
/// within <see cref="Gather"/> of the first line, in one write. The console logger this replaces
/// woke its thread and wrote once per line: two context switches and a system call for each, on
/// the server's core, about half an accept's CPU in an accept storm (docs/benchmarks.md, "What a
/// connection's two log lines cost").
/// </summary>
/// <remarks>
/// Bounded: past <see cref="CapacityChars"/> queued (stderr not being read), lines are dropped,
/// counted, and the count is written once stderr takes lines again; the thread that logs never
/// blocks on stderr. Disposing writes what is queued and stops the thread.
/// </remarks>
internal sealed class BatchedLogWriter : IDisposable
{
    /// <summary>How long the writer lets lines gather after the first before it writes them.</summary>
    internal static readonly TimeSpan Gather = TimeSpan.FromMilliseconds(2);

    /// <summary>Characters queued at most (about 4 MiB): past it, lines are dropped and counted.</summary>
    internal const int CapacityChars = 4 * 1024 * 1024;

    /// <summary>PIPE_BUF on Linux: a write to a pipe this size or smaller is never interleaved with another's.</summary>
    internal const int AtomicWrite = 4096;

    private static readonly TimeSpan DisposeWait = TimeSpan.FromSeconds(2);

    private readonly TextWriter _output;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _lines = new(0, 1);
    private readonly Thread _thread;
    private StringBuilder _queued = new();
    private StringBuilder _writing = new();
    private bool _woken;   // a wake-up is owed to the writer (or it is awake): no other is sent
    private long _dropped; // lines dropped since the last write that said so
    private bool _stopping;

    public BatchedLogWriter(TextWriter output)
    {
        _output = output;
        _thread = new Thread(Run) { IsBackground = true, Name = "switchboard-log" };
        _thread.Start();
    }

    /// <summary>Queues <paramref name="text"/> (whole lines); never blocks on stderr.</summary>
    public void Enqueue(string text)
    {
        bool wake;
        lock (_lock)
        {
            if (_queued.Length + text.Length > CapacityChars && _queued.Length > 0)
            {
                _dropped++;
                return;
            }

            _queued.Append(text);
            wake = !_woken;
            _woken = true;
        }

        if (wake)
            _lines.Release();
    }

    /// <summary>Writes what is queued, then stops the writer (waiting a bounded time for it).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_stopping)
                return;
            _stopping = true;
            if (!_woken)
            {
                _woken = true;
                _lines.Release();
            }
        }

        _thread.Join(DisposeWait);
    }

    /// <summary>
    /// Writes <paramref name="text"/> in writes of whole lines of at most <see cref="AtomicWrite"/>
    /// bytes each (a longer line alone): a forking server's parent and workers share stderr, and
    /// a write that size to a pipe never mixes with another's, so their lines never cut into each other.
    /// </summary>
    private void WriteWholeLines(string text)
    {
        int start = 0, bytes = 0;
        for (int end = 0; end < text.Length;)
        {
            int next = text.IndexOf('\n', end);
            next = next < 0 ? text.Length : next + 1;
            int lineBytes = Encoding.UTF8.GetByteCount(text.AsSpan(end, next - end));
            if (bytes > 0 && bytes + lineBytes > AtomicWrite)
            {
                WriteNow(text.AsSpan(start, end - start));
                (start, bytes) = (end, 0);
            }

            bytes += lineBytes;
            end = next;
        }

        WriteNow(text.AsSpan(start));
    }

    private void WriteNow(ReadOnlySpan<char> lines)
    {
        _output.Write(lines);
        _output.Flush();
    }

    private void Run()
    {
        while (true)
        {
            _lines.Wait();
            bool stopping;
            lock (_lock)
                stopping = _stopping;
            if (!stopping)
                Thread.Sleep(Gather); // let the lines of a burst gather: one write for them all

            long dropped;
            lock (_lock)
            {
                (_queued, _writing) = (_writing, _queued);
                dropped = _dropped;
                _dropped = 0;
                _woken = false;
                stopping = _stopping;
            }

            Write(dropped);
            if (stopping)
                return;
        }
    }

    private void Write(long dropped)
    {
        try
        {
            if (dropped > 0)
                _writing.Append(CultureInfo.InvariantCulture, $"switchboard: log lines dropped because stderr was not taking them: {dropped}\n");
            if (_writing.Length > 0)
                WriteWholeLines(_writing.ToString());
        }
        catch (IOException)
        {
            // stderr is gone (a closed pipe): nothing more can be said there.
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            _writing.Clear();
            if (_writing.Capacity > 64 * 1024)
                _writing.Capacity = 64 * 1024; // give back what a burst took
        }
    }
}

/// <summary>
/// Loggers that format each line with the chosen console formatter (text, json, systemd) on the
/// calling thread and hand it to the <see cref="BatchedLogWriter"/>.
/// </summary>
internal sealed class BatchedLoggerProvider(ConsoleFormatter formatter, TextWriter output) : ILoggerProvider, ISupportExternalScope
{
    private readonly BatchedLogWriter _writer = new(output);
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider(); // the factory gives its own

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose() => _writer.Dispose();

    private sealed class Logger(BatchedLoggerProvider provider, string category) : ILogger
    {
        [ThreadStatic]
        private static StringWriter? t_line;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
                return;
            ArgumentNullException.ThrowIfNull(formatter);
            var line = t_line ??= new StringWriter(CultureInfo.InvariantCulture);
            var entry = new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter);
            provider.Format(in entry, line);
            var text = line.GetStringBuilder();
            if (text.Length == 0)
                return;
            string formatted = text.ToString();
            text.Clear();
            if (text.Capacity > 1024)
                text.Capacity = 1024;
            provider._writer.Enqueue(formatted);
        }
    }

    private void Format<TState>(in LogEntry<TState> entry, TextWriter line) => formatter.Write(in entry, _scopes, line);
}
