using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Switchboard.Apps;
using Switchboard.Apps.Chat;
using Switchboard.Engines;
using Switchboard.Engines.Forking;
using Switchboard.Protocols;

namespace Switchboard.Cli;

/// <summary><c>switchboard serve APP</c>: runs an app on an engine until Ctrl-C or SIGTERM.</summary>
internal static partial class ServeCommand
{
    private static readonly ServerOptions Defaults = new();

    /// <summary>The time app's shortest interval: a millisecond (less would round to nothing).</summary>
    private const double MinInterval = 0.001;

    private static readonly Argument<string> AppArgument = new("app")
    {
        Description = "The app to serve. " + string.Join("; ", AppCatalog.All.Select(a => $"{a.Name}: {a.Summary}")),
    };

    private static readonly Option<string> EngineOption = new("--engine", "-e")
    {
        Description = "How connections are served: " + string.Join(", ", EngineCatalog.All.Select(e => e.Name)) +
                      ". See 'switchboard engines'.",
        DefaultValueFactory = _ => EngineCatalog.Default.Name,
        HelpName = "name",
    };

    private static readonly Option<string> HostOption = new("--host")
    {
        Description = "Address to listen on. Serving the network is a deliberate 0.0.0.0 or ::",
        DefaultValueFactory = _ => "127.0.0.1",
        HelpName = "addr",
    };

    private static readonly Option<int?> PortOption = new("--port", "-p")
    {
        Description = $"Port to listen on; 0 picks a free one [default: {TimeApp.DefaultPort} for time, {AppCatalog.DefaultPort} for the others]",
        HelpName = "n",
    };

    private static readonly Option<int> MaxConnectionsOption = new("--max-connections")
    {
        Description = "Connections served at once; a client over the limit is told so and closed",
        DefaultValueFactory = _ => Defaults.MaxConnections,
        HelpName = "n",
    };

    private static readonly Option<long> MaxPendingOption = new("--max-pending")
    {
        Description = "Bytes of unsent output a client may have queued before it is disconnected as too slow",
        DefaultValueFactory = _ => Defaults.MaxPendingBytes,
        HelpName = "bytes",
    };

    private static readonly Option<int?> MaxLineOption = new("--max-line")
    {
        Description = $"Longest line, in bytes, a line-based app accepts [default: {ChatOptions.DefaultMaxLineLength} for chat, " +
                      $"{Defaults.MaxLineLength} for print]. print answers a longer line with an error and closes; chat drops it",
        HelpName = "bytes",
    };

    private static readonly Option<double> IdleTimeoutOption = new("--idle-timeout")
    {
        Description = "Disconnect a client after this many seconds with nothing sent or received; 0 never",
        DefaultValueFactory = _ => 0,
        HelpName = "seconds",
    };

    private static readonly Option<int> BacklogOption = new("--backlog")
    {
        Description = "Connections the kernel may queue before they are accepted",
        DefaultValueFactory = _ => Defaults.Backlog,
        HelpName = "n",
    };

    private static readonly Option<double> ShutdownTimeoutOption = new("--shutdown-timeout")
    {
        Description = "Seconds a graceful shutdown may take before remaining clients are cut off",
        DefaultValueFactory = _ => Defaults.ShutdownTimeout.TotalSeconds,
        HelpName = "seconds",
    };

    private static readonly Option<int> LoopsOption = new("--loops")
    {
        Description = $"epoll: event loops (threads) to spread connections over, at most {ServerOptions.MaxLoops}; 0 means one per core",
        DefaultValueFactory = _ => 0,
        HelpName = "n",
    };

    private static readonly Option<string> WorkersOption = new("--workers")
    {
        Description = "forking: MIN..MAX, idle workers kept ready and the most workers (so connections served at once); " +
                      "more connections wait their turn",
        DefaultValueFactory = _ => $"{Defaults.Workers.MinSpare}..{Defaults.Workers.Max}",
        HelpName = "min..max",
    };

    private static readonly Option<int> ConnectionsPerWorkerOption = new("--connections-per-worker")
    {
        Description = "forking: replace a worker after it has served this many connections; 0 never",
        DefaultValueFactory = _ => 0,
        HelpName = "n",
    };

    private static readonly Option<double> IntervalOption = new("--interval")
    {
        Description = "time: seconds between lines",
        DefaultValueFactory = _ => 5,
        HelpName = "seconds",
    };

    private static readonly Option<bool> UtcOption = new("--utc")
    {
        Description = "time: send UTC instead of local time",
    };

    private static readonly Option<int> HistoryOption = new("--history")
    {
        Description = "chat: lines each room replays to newcomers",
        DefaultValueFactory = _ => new ChatOptions().History,
        HelpName = "n",
    };

    private static readonly Option<double> RateOption = new("--rate")
    {
        Description = "chat: lines per second one client may send (twice that in a burst); over it: '! slow down'",
        DefaultValueFactory = _ => new ChatOptions().Rate,
        HelpName = "n",
    };

    private static readonly Option<LogLevel> LogLevelOption = new("--log-level")
    {
        Description = "Least important log lines shown on stderr: Trace, Debug, Information, Warning, Error, None",
        DefaultValueFactory = _ => LogLevel.Information,
        HelpName = "level",
    };

    public static Command Create()
    {
        var command = new Command(
            "serve",
            "Serve an app until Ctrl-C or SIGTERM. Prints 'listening on IP:PORT (APP, ENGINE)' on stdout when ready; logs go to stderr.")
        {
            AppArgument, EngineOption, HostOption, PortOption, MaxConnectionsOption, MaxPendingOption, MaxLineOption,
            IdleTimeoutOption, BacklogOption, ShutdownTimeoutOption, LoopsOption, WorkersOption, ConnectionsPerWorkerOption, IntervalOption, UtcOption, HistoryOption, RateOption,
            LogLevelOption,
        };
        command.SetAction((parse, _) => RunAsync(parse));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse)
    {
        string app = parse.GetRequiredValue(AppArgument).ToLowerInvariant();
        if (!AppCatalog.All.Any(a => a.Name == app))
            return Cli.Fail(ExitCodes.Usage, $"unknown app '{app}' (choose from: {string.Join(", ", AppCatalog.All.Select(a => a.Name))})");
        if (!EngineCatalog.TryGet(parse.GetRequiredValue(EngineOption), out var engine))
            return Cli.Fail(ExitCodes.Usage, $"unknown engine '{parse.GetValue(EngineOption)}' (choose from: {string.Join(", ", EngineCatalog.All.Select(e => e.Name))})");
        if (!engine.Support.IsSupported)
            return Cli.Fail(ExitCodes.Failure, $"engine '{engine.Name}' cannot run here: {engine.Support.Reason}");

        int port = parse.GetValue(PortOption) ?? AppCatalog.DefaultPortOf(app);
        if (port is < 0 or > 65535)
            return Cli.Fail(ExitCodes.Usage, $"bad port {port}: must be 0-65535");
        if (!TryResolveHost(parse.GetRequiredValue(HostOption), out var address, out string? hostError))
            return Cli.Fail(ExitCodes.Usage, hostError);
        int history = parse.GetValue(HistoryOption);
        if (history < 0)
            return Cli.Fail(ExitCodes.Usage, $"bad history {history}: must be 0 or more");
        double rate = parse.GetValue(RateOption);
        if (!(rate > 0))
            return Cli.Fail(ExitCodes.Usage, $"bad rate {rate.ToString(CultureInfo.InvariantCulture)}: must be more than 0 lines a second");
        if (!Cli.TryGetSeconds(parse, IntervalOption, MinInterval, out var interval, out string? error)
            || !Cli.TryGetSeconds(parse, IdleTimeoutOption, 0, out var idleTimeout, out error)
            || !Cli.TryGetSeconds(parse, ShutdownTimeoutOption, 0, out var shutdownTimeout, out error))
            return Cli.Fail(ExitCodes.Usage, error);
        int loops = parse.GetValue(LoopsOption);
        if (loops is < 0 or > ServerOptions.MaxLoops)
            return Cli.Fail(ExitCodes.Usage, $"--loops must be 0 (one per core) to {ServerOptions.MaxLoops} (got {loops})");

        if (!TryParseRange(parse.GetRequiredValue(WorkersOption), out int minWorkers, out int maxWorkers))
            return Cli.Fail(ExitCodes.Usage, $"bad --workers '{parse.GetValue(WorkersOption)}': write MIN..MAX, e.g. 2..32");

        ServerOptions options;
        try
        {
            options = new ServerOptions
            {
                EndPoint = new IPEndPoint(address, port),
                Backlog = parse.GetValue(BacklogOption),
                MaxConnections = parse.GetValue(MaxConnectionsOption),
                MaxPendingBytes = parse.GetValue(MaxPendingOption),
                MaxLineLength = parse.GetValue(MaxLineOption) ?? (app == "chat" ? ChatOptions.DefaultMaxLineLength : Defaults.MaxLineLength),
                IdleTimeout = idleTimeout,
                ShutdownTimeout = shutdownTimeout,
                Loops = loops,
                Workers = new WorkerPoolOptions
                {
                    MinSpare = minWorkers,
                    Max = maxWorkers,
                    ConnectionsPerWorker = parse.GetValue(ConnectionsPerWorkerOption),
                    // The chat's rooms live in the forking server's parent; workers reach them over the channel.
                    MessageHandler = app == "chat" && engine.Name == "forking" && !ForkingWorker.IsCurrentProcess
                        ? new ChatHubHost(new ChatHub(history))
                        : null,
                },
            };
            options.Validate();
        }
        catch (Exception e) when (e is ArgumentException or OverflowException)
        {
            return Cli.Fail(ExitCodes.Usage, e.Message);
        }

        using var loggerFactory = CreateLoggerFactory(parse.GetValue(LogLevelOption));
        var logger = loggerFactory.CreateLogger("Switchboard.Cli");
        RaiseDescriptorLimit(logger);
        var chat = new ChatOptions { History = history, Rate = rate, Burst = Math.Max(1, (int)Math.Ceiling(rate * 2)) };
        var factory = CreateProtocolFactory(app, interval, parse.GetValue(UtcOption), chat, loggerFactory);
        var server = new Server(engine, options, factory, loggerFactory);
        try
        {
            server.Start();
        }
        catch (ServerStartException e)
        {
            return Cli.Fail(ExitCodes.Failure, e.Message);
        }

        // A forking worker shares the parent's stdout: only the parent says where it listens.
        if (!ForkingWorker.IsCurrentProcess)
        {
            Console.Out.WriteLine($"listening on {server.LocalEndPoint} ({app}, {engine.Name})");
            Console.Out.Flush();
        }

        var signal = WaitForShutdownSignalAsync();
        if (await Task.WhenAny(signal, server.AcceptingEnded).ConfigureAwait(false) == signal)
        {
            string name = await signal.ConfigureAwait(false);
            Log.Stopping(logger, name);
        }
        await server.StopAsync().ConfigureAwait(false);
        Log.Stopped(logger);
        return ExitCodes.Ok;
    }

    /// <summary>Every connection is a descriptor: take all the kernel allows (the soft limit is often 1,024).</summary>
    private static void RaiseDescriptorLimit(ILogger logger)
    {
        try
        {
            var (before, after) = DescriptorLimit.RaiseToHardLimit();
            if (after > before && !ForkingWorker.IsCurrentProcess) // workers inherit the raised limit; the parent said it once
                Log.RaisedDescriptorLimit(logger, before, after);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Log.DescriptorLimitUnchanged(logger, e.Message);
        }
    }

    private static Func<Protocol> CreateProtocolFactory(string app, TimeSpan interval, bool utc, ChatOptions chat, ILoggerFactory loggerFactory)
    {
        switch (app)
        {
            case "chat":
                IChatHub hub = ForkingWorker.Parent is { } parent ? new RemoteChatHub(parent) : new ChatHub(chat.History);
                return () => new ChatProtocol(hub, chat);
            case "time":
                var time = new TimeApp(interval, utc);
                return time.CreateProtocol;
            case "echo":
                return static () => new EchoProtocol();
            default:
                var printLogger = loggerFactory.CreateLogger("Switchboard.Apps.Print");
                return () => new PrintProtocol(printLogger);
        }
    }

    private static bool TryParseRange(string text, out int min, out int max)
    {
        max = 0;
        string[] parts = text.Split("..");
        return int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out min)
               && parts.Length == 2
               && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out max);
    }

    private static bool TryResolveHost(string host, out IPAddress address, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        error = null;
        if (IPAddress.TryParse(host.Trim('[', ']'), out address!))
            return true;
        try
        {
            var addresses = Dns.GetHostAddresses(host);
            address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.First();
            return true;
        }
        catch (Exception e) when (e is SocketException or InvalidOperationException or ArgumentException)
        {
            error = $"cannot resolve host '{host}'";
            return false;
        }
    }

    private static ILoggerFactory CreateLoggerFactory(LogLevel level) =>
        LoggerFactory.Create(builder => builder
            .SetMinimumLevel(level)
            .AddConsole(o =>
            {
                o.FormatterName = CompactConsoleFormatter.FormatterName;
                o.LogToStandardErrorThreshold = LogLevel.Trace;
            })
            .AddConsoleFormatter<CompactConsoleFormatter, ConsoleFormatterOptions>());

    /// <summary>Waits for SIGINT (Ctrl-C) or SIGTERM. A second signal kills the process the usual way.</summary>
    private static async Task<string> WaitForShutdownSignalAsync()
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handle(PosixSignalContext context)
        {
            context.Cancel = received.TrySetResult(context.Signal == PosixSignal.SIGINT ? "SIGINT" : "SIGTERM");
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        return await received.Task.ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "{Signal} received: shutting down")]
        public static partial void Stopping(ILogger logger, string signal);

        [LoggerMessage(Level = LogLevel.Information, Message = "Raised the open-files limit from {Before} to {After} (the hard limit)")]
        public static partial void RaisedDescriptorLimit(ILogger logger, ulong before, ulong after);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not raise the open-files limit: {Error}")]
        public static partial void DescriptorLimitUnchanged(ILogger logger, string error);

        [LoggerMessage(Level = LogLevel.Information, Message = "Stopped")]
        public static partial void Stopped(ILogger logger);
    }
}
