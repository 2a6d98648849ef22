using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Switchboard.Cli;

/// <summary>
/// The log's one writer to stderr: entries are formatted on the thread that logs (by the console
/// formatter of the chosen format) and queued; a thread of its own writes what has gathered
/// within <see cref="Gather"/> of the first entry, in few writes. The console logger this replaces
/// woke its thread and wrote once per line: two context switches and a system call for each, on
/// the server's core, about half an accept's CPU in an accept storm (docs/benchmarks.md, "What a
/// connection's two log lines cost").
/// </summary>
/// <remarks>
/// Each write is whole entries of at most <see cref="AtomicWrite"/> bytes (a longer entry alone),
/// so processes sharing stderr (a forking server's parent and workers) never cut into each
/// other's entries on a pipe. Bounded: past <see cref="CapacityChars"/> queued (stderr not being
/// read), entries are dropped, counted, and the count is written where they were missing; the
/// thread that logs never blocks on stderr. <see cref="FlushAll"/> writes what every live writer
/// holds, before a line written to stderr directly (an error, a warning) so that it comes after
/// the log lines before it. Disposing, or the process exiting, writes what is queued; an entry
/// logged after that is written at once.
/// </remarks>
internal sealed class BatchedLogWriter : IDisposable
{
    /// <summary>How long the writer lets entries gather after the first before it writes them.</summary>
    internal static readonly TimeSpan Gather = TimeSpan.FromMilliseconds(2);

    /// <summary>Characters queued at most (about 4 MiB): past it, entries are dropped and counted.</summary>
    internal const int CapacityChars = 4 * 1024 * 1024;

    /// <summary>PIPE_BUF on Linux: a write to a pipe this size or smaller is never interleaved with another's.</summary>
    internal const int AtomicWrite = 4096;

    private static readonly TimeSpan DisposeWait = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan FlushWait = TimeSpan.FromSeconds(1);
    private static readonly List<BatchedLogWriter> Live = [];

    private readonly TextWriter _output;
    private readonly object _lock = new(); // a monitor: Flush waits on it for the writer's progress
    private readonly SemaphoreSlim _entries = new(0, 1);
    private readonly Thread _thread;
    private char[] _group = new char[AtomicWrite]; // one write's entries, writer thread only
    private int _groupLength;
    private List<string> _queued = [];
    private List<string> _writing = [];
    private long _queuedChars;
    private bool _woken;       // a wake-up is owed to the writer (or it is awake): no other is sent
    private bool _hurry;       // a flush waits: write without gathering
    private long _dropped;     // entries dropped since the last one queued
    private long _enqueued;    // entries queued (and drop reports), ever
    private long _written;     // of those, how many are written
    private bool _stopping;
    private bool _stopped;     // the thread is gone: entries are written at once

    public BatchedLogWriter(TextWriter output)
    {
        _output = output;
        _thread = new Thread(Run) { IsBackground = true, Name = "switchboard-log" };
        _thread.Start();
        lock (Live)
            Live.Add(this);
        AppDomain.CurrentDomain.ProcessExit += OnExit;
        AppDomain.CurrentDomain.UnhandledException += OnCrash;
    }

    /// <summary>Writes what every live writer has queued (each waiting a bounded time), before a line written to stderr directly.</summary>
    public static void FlushAll()
    {
        BatchedLogWriter[] live;
        lock (Live)
            live = [.. Live];
        foreach (var writer in live)
            writer.Flush();
    }

    /// <summary>Queues <paramref name="entry"/> (whole lines); never blocks on stderr.</summary>
    public void Enqueue(string entry)
    {
        bool wake;
        lock (_lock)
        {
            if (_stopped)
            {
                WriteNow(entry); // after the end: no thread to hand it to
                return;
            }

            if (_queuedChars + entry.Length > CapacityChars && _queued.Count > 0)
            {
                _dropped++;
                return;
            }

            if (_dropped > 0)
            {
                // Where the dropped ones were: before this entry, after those queued before them.
                _queued.Add(DroppedReport(_dropped));
                _dropped = 0;
                _enqueued++;
            }

            _queued.Add(entry);
            _queuedChars += entry.Length;
            _enqueued++;
            wake = !_woken;
            _woken = true;
        }

        if (wake)
            _entries.Release();
    }

    /// <summary>Writes what is queued, then stops the writer (waiting a bounded time for it).</summary>
    public void Dispose()
    {
        lock (Live)
            Live.Remove(this);
        AppDomain.CurrentDomain.ProcessExit -= OnExit;
        AppDomain.CurrentDomain.UnhandledException -= OnCrash;
        lock (_lock)
        {
            if (_stopping)
                return;
            _stopping = true;
            WakeLocked();
        }

        _thread.Join(DisposeWait);
    }

    private void OnExit(object? sender, EventArgs e) => Dispose();

    private void OnCrash(object sender, UnhandledExceptionEventArgs e) => Dispose(); // the lines before it, at least

    /// <summary>Waits (bounded) until what was queued before the call is written.</summary>
    private void Flush()
    {
        lock (_lock)
        {
            long target = _enqueued;
            if (_written >= target || _stopped)
                return;
            _hurry = true;
            WakeLocked();
            var deadline = DateTime.UtcNow + FlushWait;
            while (_written < target && !_stopped)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !Monitor.Wait(_lock, left))
                    return;
            }
        }
    }

    private void WakeLocked()
    {
        if (_woken)
            return;
        _woken = true;
        _entries.Release();
    }

    private void Run()
    {
        while (true)
        {
            _entries.Wait();
            bool hurry;
            lock (_lock)
                hurry = _stopping || _hurry;
            if (!hurry)
                Thread.Sleep(Gather); // let the entries of a burst gather: few writes for them all

            bool stopping;
            long dropped;
            lock (_lock)
            {
                (_queued, _writing) = (_writing, _queued);
                _queuedChars = 0;
                dropped = _dropped; // dropped after the last queued entry: reported after it
                _dropped = 0;
                _woken = false;
                _hurry = false;
                stopping = _stopping;
            }

            int counted = _writing.Count; // the trailing report below is not one of the entries counted
            if (dropped > 0)
                _writing.Add(DroppedReport(dropped));
            WriteGrouped(_writing);
            lock (_lock)
            {
                _written += counted;
                _writing.Clear();
                if (stopping)
                {
                    // What was queued during the last write goes now, before any entry written at
                    // once from here on (those too are written under this lock).
                    _stopped = true;
                    if (_dropped > 0)
                        _queued.Add(DroppedReport(_dropped));
                    WriteGrouped(_queued);
                    _queued.Clear();
                }

                Monitor.PulseAll(_lock);
            }

            if (stopping)
                return;
        }
    }

    private static string DroppedReport(long dropped) =>
        string.Create(CultureInfo.InvariantCulture, $"switchboard: log lines dropped because stderr was not taking them: {dropped}\n");

    /// <summary>
    /// Writes <paramref name="entries"/> in writes of whole entries of at most <see cref="AtomicWrite"/>
    /// bytes each (a longer entry alone).
    /// </summary>
    private void WriteGrouped(List<string> entries)
    {
        int bytes = 0;
        foreach (string entry in entries)
        {
            int entryBytes = Encoding.UTF8.GetByteCount(entry);
            if (bytes > 0 && bytes + entryBytes > AtomicWrite)
            {
                WriteGroup();
                bytes = 0;
            }

            if (_groupLength + entry.Length > _group.Length)
                Array.Resize(ref _group, _groupLength + entry.Length); // a long entry, alone
            entry.CopyTo(_group.AsSpan(_groupLength));
            _groupLength += entry.Length;
            bytes += entryBytes;
        }

        WriteGroup();
    }

    private void WriteGroup()
    {
        if (_groupLength == 0)
            return;
        WriteNow(_group.AsSpan(0, _groupLength));
        _groupLength = 0;
        if (_group.Length > 4 * AtomicWrite)
            _group = new char[AtomicWrite]; // give back what a long entry took
    }

    /// <summary>One write (stderr's writer holds 16 KiB and flushes at once: Program.cs), its failure ignored.</summary>
    private void WriteNow(ReadOnlySpan<char> text)
    {
        try
        {
            _output.Write(text);
            _output.Flush();
        }
        catch (IOException)
        {
            // stderr is gone (a closed pipe): nothing more can be said there.
        }
        catch (ObjectDisposedException)
        {
        }
    }
}

/// <summary>
/// Loggers that format each entry with the chosen console formatter (text, json, systemd) on the
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
