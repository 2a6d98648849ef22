using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Switchboard.Cli;

/// <summary>One log line per event: <c>22:45:01.123 info  Got connection from 127.0.0.1:53122</c>.</summary>
internal sealed class CompactConsoleFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "switchboard";

    // A forking server's workers log to the same stderr as the parent: say which one speaks.
    private static readonly string? WorkerPrefix =
        Switchboard.Hosting.Prefork.IsWorker ? $"[worker {Environment.ProcessId}] " : null;

    public override void Write<TState>(in LogEntry<TState> logEntry, Microsoft.Extensions.Logging.IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        string message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
            return;
        textWriter.Write(DateTime.Now.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture));
        textWriter.Write(' ');
        textWriter.Write(Label(logEntry.LogLevel));
        textWriter.Write(' ');
        if (WorkerPrefix is { } prefix)
            textWriter.Write(prefix);
        textWriter.Write(message);
        if (logEntry.Exception is not null)
        {
            textWriter.Write(": ");
            textWriter.Write(logEntry.Exception.ToString());
        }

        textWriter.Write('\n');
    }

    private static string Label(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce ",
        LogLevel.Debug => "dbug ",
        LogLevel.Information => "info ",
        LogLevel.Warning => "warn ",
        LogLevel.Error => "error",
        LogLevel.Critical => "crit ",
        _ => "     ",
    };
}
