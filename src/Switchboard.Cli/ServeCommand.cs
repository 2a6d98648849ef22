using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Switchboard.Apps;
using Switchboard.Apps.Chat;
using Switchboard.Cli.Web;
using Switchboard.Engines;
using Switchboard.Hosting;
using Switchboard.Tls;

namespace Switchboard.Cli;

/// <summary><c>switchboard serve APP</c>: runs an app on an engine until Ctrl-C or SIGTERM.</summary>
internal static partial class ServeCommand
{
    private static readonly ServerOptions Defaults = new();
    private static readonly AppSettings AppDefaults = new();

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
        Description = $"Port to listen on; 0 picks a free one [default: {DefaultsPerApp(a => a.DefaultPort)}]",
        HelpName = "n",
    };

    private static readonly Option<int> MaxConnectionsOption = new("--max-connections")
    {
        Description = "Connections served at once; a client over the limit is told so and closed (forking: it waits in the backlog for a worker, and is refused once all have been busy for 1 s)",
        DefaultValueFactory = _ => Defaults.MaxConnections,
        HelpName = "n",
    };

    private static readonly Option<long> MaxPendingOption = new("--max-pending")
    {
        Description = "Bytes of unsent output a client may have queued before it is disconnected as too slow",
        DefaultValueFactory = _ => Defaults.MaxPendingBytes,
        HelpName = "bytes",
    };

    private static readonly Option<long> MaxPendingTotalOption = new("--max-pending-total")
    {
        Description = "Bytes of unsent output all clients together may have queued (forking: per worker); past it the clients " +
                      "with the most queued are disconnected as too slow, biggest first. 0: no cap",
        DefaultValueFactory = _ => Defaults.MaxPendingTotalBytes,
        HelpName = "bytes",
    };

    private static readonly Option<long> MaxPendingSoftOption = new("--max-pending-soft")
    {
        Description = "A client whose unsent output stays over this many bytes for --max-pending-soft-seconds is disconnected as too slow. 0: off",
        DefaultValueFactory = _ => Defaults.MaxPendingSoftBytes,
        HelpName = "bytes",
    };

    private static readonly Option<Duration> MaxPendingSoftSecondsOption = DurationOption.Create(
        "--max-pending-soft-seconds",
        "How long a client's unsent output may stay over --max-pending-soft (e.g. 10s, 500ms). 0: off",
        Duration.FromTimeSpan(Defaults.MaxPendingSoftTime), Duration.Zero, "off");

    private static readonly Option<int?> MaxLineOption = new("--max-line")
    {
        Description = $"Longest line, in bytes, a line-based app accepts [default: {DefaultsPerApp(a => a.DefaultMaxLineLength)}]. " +
                      "print answers a longer line with an error and closes; chat drops it",
        HelpName = "bytes",
    };

    private static readonly Option<Duration> IdleTimeoutOption = DurationOption.Create(
        "--idle-timeout",
        "Disconnect a client after this long with nothing sent or received (e.g. 30s, 5m; line-based apps: a partial line is not activity); 0 never",
        Duration.Zero, Duration.Zero, "never");

    // Per-address limits (docs/reliability.md).
    private static readonly Option<int?> MaxPerAddressOption = new("--max-connections-per-ip")
    {
        Description = "Connections one address (IPv6: one /64) may have open at once; over it a client is told so and closed; 0 off " +
                      $"[default: {DefaultsPerApp(a => a.DefaultMaxConnectionsPerAddress)}; 0 on forking, which cannot count them]",
        HelpName = "n",
    };

    private static readonly Option<int?> ConnectRateOption = new("--connect-rate")
    {
        Description = "New connections one address (IPv6: one /64) may open a minute, in bursts of up to as many; over it a client is told so and closed; 0 off " +
                      $"[default: {DefaultsPerApp(a => a.DefaultConnectRatePerMinute)}; 0 on forking, which cannot count them]",
        HelpName = "n",
    };

    private static readonly Option<string> LimitExemptOption = new("--limit-exempt")
    {
        Description = "Comma-separated addresses and CIDR networks the per-address limits never apply to; '' exempts nothing",
        DefaultValueFactory = _ => string.Join(',', ServerOptions.DefaultLimitExempt.Select(FormatNetwork)),
        HelpName = "cidrs",
    };

    private static readonly Option<int> BacklogOption = new("--backlog")
    {
        Description = "Connections the kernel may queue before they are accepted (the kernel caps it at net.core.somaxconn)",
        DefaultValueFactory = _ => Defaults.Backlog,
        HelpName = "n",
    };

    private static readonly Option<Duration> ShutdownTimeoutOption = DurationOption.Create(
        "--shutdown-timeout",
        "How long a graceful shutdown may take before remaining clients are cut off (e.g. 5s, 2m)",
        Duration.FromTimeSpan(Defaults.ShutdownTimeout), Duration.Zero);

    /// <summary>Every engine's own settings, one option each (engines that share a setting share its option).</summary>
    private static readonly IReadOnlyList<(Option<string> Option, EngineSetting Setting)> EngineOptions =
    [
        .. EngineCatalog.All
            .SelectMany(engine => engine.Settings.Select(setting => (engine, setting)))
            .GroupBy(pair => pair.setting.Name)
            .Select(group =>
            {
                var setting = group.First().setting;
                var option = new Option<string>("--" + setting.Name)
                {
                    Description = $"{string.Join(", ", group.Select(pair => pair.engine.Name))}: {setting.Description}",
                    DefaultValueFactory = _ => setting.DefaultValue,
                    HelpName = setting.HelpName,
                };
                return (option, setting);
            }),
    ];

    private static readonly Option<Duration> IntervalOption = DurationOption.Create(
        "--interval",
        "time: time between lines (e.g. 1s, 250ms, 1m)",
        Duration.FromTimeSpan(AppDefaults.Interval), Duration.FromTimeSpan(AppSettings.MinInterval));

    private static readonly Option<bool> UtcOption = new("--utc")
    {
        Description = "time: send UTC instead of local time",
    };

    private static readonly Option<int> HistoryOption = new("--history")
    {
        Description = "chat: lines each room replays to newcomers",
        DefaultValueFactory = _ => AppDefaults.Chat.History,
        HelpName = "n",
    };

    private static readonly Option<double> RateOption = new("--rate")
    {
        Description = "chat: lines per second of one client handled (twice that in a burst); faster lines wait their turn, "
            + $"and a client with more than {AppDefaults.Chat.MaxQueuedLines} lines (or {AppDefaults.Chat.MaxQueuedBytes / 1024} KiB) waiting is disconnected",
        DefaultValueFactory = _ => AppDefaults.Chat.Rate,
        HelpName = "n",
    };

    private static readonly Option<Duration> RegisterTimeoutOption = DurationOption.Create(
        "--register-timeout",
        "chat: how long a client has to choose a name with /nick before it is disconnected (e.g. 60s, 5m); 0 for no limit",
        Duration.FromTimeSpan(AppDefaults.Chat.RegisterTimeout), Duration.Zero, "no limit");

    private static readonly Option<string?> HubOption = new("--hub")
    {
        Description = "chat: share rooms, names and history with every node pointed at this Redis (redis://HOST:PORT[/DB]); "
            + "without it the rooms live in this process. See docs/scale-out.md",
        HelpName = "url",
    };

    private static readonly Option<int?> IrcPortOption = new("--irc-port")
    {
        Description = $"chat: also speak IRC on this port (the same host; {ChatApp.StandardIrcPort} is the convention, 0 picks a free one), "
            + "to the same rooms: IRC clients (irssi, WeeChat, HexChat, ii) and line-protocol users talk together. "
            + "Not on iterative; with --hub, IRC users on every node share the rooms too. See docs/irc.md",
        HelpName = "n",
    };

    private static readonly Option<string?> TlsCertOption = new("--tls-cert")
    {
        Description = "Speak TLS on every listener a client connects to (the app's port, --irc-port, --web as HTTPS), with this certificate: "
            + "PEM (the server's certificate first, then any intermediates; the key in --tls-key or in the same file), or one PKCS#12 file "
            + "without a password. Every engine. SIGHUP reads the files again; connections already open keep theirs. See docs/tls.md",
        HelpName = "file",
    };

    private static readonly Option<string?> TlsKeyOption = new("--tls-key")
    {
        Description = "The private key of --tls-cert, PEM, unencrypted (readable only by the server's user); not needed when the certificate file holds it",
        HelpName = "file",
    };

    /// <summary><c>--config FILE</c>: read before parsing, by <see cref="ServeConfiguration"/>.</summary>
    public static readonly Option<string?> ConfigOption = new("--config")
    {
        Description = "Read settings from this JSON file: keys are these options without their dashes (\"max-connections\": 1000; \"app\": \"chat\"). "
            + $"Environment variables ({ServeConfiguration.EnvironmentPrefix}MAX_CONNECTIONS=1000) override the file, and flags override both. See docs/operations.md",
        HelpName = "file",
    };

    private static readonly Option<string?> MetricsOption = new("--metrics")
    {
        Description = $"Serve metrics in the Prometheus text format at http://HOST:PORT{MetricsEndpoint.Path} (9464 is the convention, "
            + "port 0 picks a free one; its address is printed after the listening line). Off by default. See docs/operations.md",
        HelpName = "host:port",
    };

    private static readonly Option<string?> WebOption = new("--web")
    {
        Description = "chat: serve the chat in a browser at http://HOST:PORT/ (https:// with --tls-cert; port 0 picks a free one; its address is printed after the listening line): "
            + "a page and its WebSocket, in the same rooms as the line protocol. Off by default. See docs/web.md",
        HelpName = "host:port",
    };

    private static readonly Option<string?> WebOriginsOption = new("--web-origins")
    {
        Description = "chat: origins whose pages may open the web chat's WebSocket besides the page's own, comma-separated "
            + "(https://chat.example.org, for a page behind a proxy); their host names are also names the page itself may be reached by "
            + "(besides addresses and localhost: against DNS rebinding). See docs/web.md",
        HelpName = "origins",
    };

    private static readonly ChoiceOption<LogLevel> LogLevelOption = new(
        "--log-level",
        "Least important log lines shown on stderr: " + string.Join(", ", ChoiceOption<LogLevel>.Names) + " (any case)",
        LogLevel.Information, "level", "level");

    private static readonly ChoiceOption<LogFormat> LogFormatOption = new(
        "--log-format",
        "How log lines on stderr are written: text (time, level, message), json (one JSON object a line, UTC times, " +
        "event id and category), systemd (the <N> priority prefix journald reads, no time). See docs/operations.md",
        LogFormat.Text, "format", "format");

    public static Command Create()
    {
        var command = new Command(
            "serve",
            "Serve an app until Ctrl-C or SIGTERM; SIGHUP reloads its settings (--config, the environment) without dropping a connection. "
            + "Prints 'listening on IP:PORT (APP, ENGINE)' on stdout when ready; logs go to stderr.")
        {
            AppArgument, EngineOption, HostOption, PortOption, MaxConnectionsOption, MaxPendingOption, MaxPendingTotalOption,
            MaxPendingSoftOption, MaxPendingSoftSecondsOption, MaxLineOption, IdleTimeoutOption, MaxPerAddressOption, ConnectRateOption,
            LimitExemptOption, BacklogOption, ShutdownTimeoutOption,
        };
        foreach (var (option, _) in EngineOptions)
            command.Options.Add(option);
        foreach (var option in new Option[] { IntervalOption, UtcOption, HistoryOption, RateOption, RegisterTimeoutOption, HubOption, IrcPortOption, WebOption, WebOriginsOption, TlsCertOption, TlsKeyOption, MetricsOption, ConfigOption, LogLevelOption.Option, LogFormatOption.Option })
            command.Options.Add(option);
        command.SetAction((parse, _) => RunAsync(parse));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse)
    {
        ServePlan plan;
        var workerArguments = Prefork.IsWorker ? null : new WorkerArguments(parse);
        try
        {
            plan = Plan(parse, workerArguments);
        }
        catch (PlanException e)
        {
            return Cli.Fail(e.ExitCode, e.Message);
        }

        var (app, engine, address, ircPort, metricsAt, webAt) = (plan.App, plan.Engine, plan.Address, plan.IrcPort, plan.MetricsAt, plan.WebAt);

        var logLevel = new LiveLogLevel(plan.LogLevel);
        using var loggerFactory = CreateLoggerFactory(logLevel, plan.LogFormat);
        Server server;
        Server? ircServer = null;
        ServeContext context;
        try
        {
            context = new ServeContext { Options = plan.Options, Settings = plan.Settings, LoggerFactory = loggerFactory };
            server = app.CreateServer(engine, context);
            if (ircPort is { } ircPortNumber)
            {
                try
                {
                    ircServer = ((ChatApp)app).CreateIrcServer(engine, context, new IPEndPoint(address, ircPortNumber));
                }
                catch (ArgumentException e)
                {
                    return Cli.Fail(ExitCodes.Usage, $"{Cli.Flag(parse, IrcPortOption)}: {e.Message}");
                }
            }
        }
        catch (Exception e) when (e is ArgumentException or OverflowException)
        {
            return Cli.Fail(ExitCodes.Usage, e.Message);
        }
        catch (ChatBackplaneException e)
        {
            return Cli.Fail(ExitCodes.Failure, e.Message);
        }

        var logger = loggerFactory.CreateLogger("Switchboard.Cli");
        RaiseDescriptorLimit(logger);
        if (parse.GetResult(EngineOption) is null or { Implicit: true } && !Prefork.IsWorker && OperatingSystem.IsLinux())
        {
            // The default is the first engine of uring, epoll, async that runs: say what was passed
            // over, and why (on Linux: elsewhere neither could ever run, and that is no news).
            foreach (var passedOver in EngineCatalog.DefaultPassedOver)
                Log.DefaultPassedOver(logger, EngineCatalog.Default.Name, passedOver.Name, passedOver.Support.Reason ?? "");
        }

        // The parent serves the metrics; a forking worker counts for it, and reports when each connection ends.
        MetricsEndpoint? metrics = null;
        using var workerLineCount = metricsAt is not null && Prefork.IsWorker ? MetricsEndpoint.CountLinesForParent() : null;
        if (metricsAt is not null && !Prefork.IsWorker)
        {
            try
            {
                metrics = await MetricsEndpoint.StartAsync(metricsAt, loggerFactory).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                return Cli.Fail(ExitCodes.Failure, $"{Cli.Flag(parse, MetricsOption)}: cannot listen on {metricsAt}: {ListenFailure(e)}");
            }
        }

        await using var metricsScope = metrics;

        // The web page's members live in the parent too, in the parent's hub, which the workers share.
        WebChatEndpoint? web = null;
        if (webAt is not null && !Prefork.IsWorker)
        {
            try
            {
                web = await WebChatEndpoint.StartAsync(webAt, (ChatApp)app, context, plan.WebOrigins, loggerFactory).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                return Cli.Fail(ExitCodes.Failure, $"{Cli.Flag(parse, WebOption)}: cannot listen on {webAt}: {ListenFailure(e)}");
            }
        }

        await using var webScope = web;

        // Sockets a service manager opened for us (systemd socket activation) are served instead
        // of binding: the first (or one named otherwise than irc) by the app, one named irc (or
        // the second) by IRC.
        Socket? activatedMain = null, activatedIrc = null;
        if (!Prefork.IsWorker)
        {
            try
            {
                (activatedMain, activatedIrc) = AssignActivated(SocketActivation.TakeListeners(), ircServer is not null);
            }
            catch (ServerStartException e)
            {
                return Cli.Fail(ExitCodes.Failure, e.Message);
            }
        }

        // The servers this process serves: both, but in a forking worker, which serves only the
        // listener it was started for.
        var servers = new List<(Server Server, string What)>();
        foreach (var (candidate, what, activated) in new[] { (server, "", activatedMain), (ircServer, $"{Cli.Flag(parse, IrcPortOption)}: ", activatedIrc) })
        {
            if (candidate is null || !candidate.IsServedHere)
                continue;
            try
            {
                if (activated is null)
                {
                    candidate.Start();
                }
                else
                {
                    candidate.Start(activated);
                    Log.Activated(logger, candidate.LocalEndPoint);
                }
            }
            catch (ServerStartException e)
            {
                foreach (var (started, _) in servers)
                    await started.StopAsync().ConfigureAwait(false);
                return Cli.Fail(ExitCodes.Failure, what + e.Message);
            }

            servers.Add((candidate, what));
        }

        // Caught before the listening line, so that a signal sent as soon as it is read stops the
        // server gracefully (or reloads it) instead of killing it.
        using var signals = new ShutdownSignals();
        using var manager = new ServiceNotifications();
        // A forking server's workers never reload: their parent replaces them (Server.Reconfigure).
        // They only keep a stray SIGHUP (a terminal's hangup, sent to its whole group) from ending them.
        var reloader = workerArguments is null ? null : new Reloader(parse, context, app, engine, [.. servers.Select(s => s.Server)], web, logLevel, logger, workerArguments);
        using var reloads = new ReloadSignals(reloader is null ? () => { } : () =>
        {
            manager.Reloading();
            Log.Reloading(logger);
            try
            {
                reloader.Reload();
            }
#pragma warning disable CA1031 // A reload that fails in a way not foreseen must not end the server, nor the next reloads.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.ReloadFailed(logger, $"unexpected error: {e.Message}");
            }

            manager.Ready($"listening on {server.LocalEndPoint} ({app.Name}, {engine.Name})");
        });

        // A forking server's workers share the parent's stdout: only the parent says where it listens.
        if (!Prefork.IsWorker)
        {
            if (plan.Options.Tls is { } tls)
                Log.Tls(logger, tls);
            WarnIfServingTheNetwork(server.LocalEndPoint, app);
            if (web is not null)
                WarnIfServingTheNetwork(web.EndPoint, app);
            Console.Out.WriteLine($"listening on {server.LocalEndPoint} ({app.Name}, {engine.Name})");
            if (ircServer is not null)
                Console.Out.WriteLine($"listening on {ircServer.LocalEndPoint} ({app.Name} over IRC, {engine.Name})");
            if (web is not null)
                Console.Out.WriteLine($"web on {web.Url}");
            if (metrics is not null)
                Console.Out.WriteLine($"metrics on {metrics.Url}");
            Console.Out.Flush();
            manager.Ready($"listening on {server.LocalEndPoint} ({app.Name}, {engine.Name})");
        }

        var signal = signals.Received;
        if (await Task.WhenAny([signal, .. servers.Select(s => s.Server.AcceptingEnded)]).ConfigureAwait(false) == signal)
        {
            string name = await signal.ConfigureAwait(false);
            Log.Stopping(logger, name);
        }

        reloads.Stop(); // no reload once stopping (nor RELOADING=1 after STOPPING=1); SIGHUP still taken, and ignored
        manager.Stopping();

        // Every listener's members are told goodbye at once: the hub refuses talk from the first goodbye on.
        await Task.WhenAll([.. servers.Select(s => s.Server.StopAsync()), web?.StopAsync() ?? Task.CompletedTask]).ConfigureAwait(false);
        Log.Stopped(logger);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Which passed socket each server takes: one named <c>irc</c> (systemd's
    /// <c>FileDescriptorName=irc</c>), or else the second, is IRC's; the other is the app's.
    /// </summary>
    /// <exception cref="ServerStartException">More sockets were passed than serve listens on.</exception>
    private static (Socket? Main, Socket? Irc) AssignActivated(IReadOnlyList<ActivatedSocket> passed, bool irc)
    {
        if (passed.Count == 0)
            return (null, null);
        int most = irc ? 2 : 1;
        if (passed.Count > most)
        {
            foreach (var socket in passed)
                socket.Socket.Dispose();
            throw new ServerStartException($"socket activation: {passed.Count} sockets passed, but serve listens on {most} "
                + (irc ? "(the app's, and IRC's named irc)" : "(give --irc-port for a second, IRC's)"));
        }

        if (!irc)
            return (passed[0].Socket, null); // the one socket is the app's, whatever its name
        var ircSocket = passed.FirstOrDefault(s => s.Name == ChatApp.IrcListenerName)
            ?? (passed.Count == 2 ? passed[1] : null);
        var main = passed.FirstOrDefault(s => !ReferenceEquals(s, ircSocket));
        return (main?.Socket, ircSocket?.Socket);
    }

    /// <summary>
    /// What serve is asked to run, every value checked and nothing started: at start, and again
    /// at each reload.
    /// </summary>
    /// <exception cref="PlanException">Something is wrong: its exit code and one line.</exception>
    /// <param name="parse">The command line, with what the file and environment set.</param>
    /// <param name="workers">On forking, where the workers' arguments are kept (a reload changes them); null elsewhere, and in a worker.</param>
    private static ServePlan Plan(ParseResult parse, WorkerArguments? workers = null)
    {
        static ServePlan Fail(int code, string message) => throw new PlanException(code, message);

        if (!AppCatalog.TryGet(parse.GetRequiredValue(AppArgument), out var app))
            return Fail(ExitCodes.Usage, $"unknown app '{parse.GetValue(AppArgument)!.ToLowerInvariant()}' (choose from: {string.Join(", ", AppCatalog.All.Select(a => a.Name))})");
        if (!EngineCatalog.TryGet(parse.GetRequiredValue(EngineOption), out var engine))
            return Fail(ExitCodes.Usage, $"{Cli.Flag(parse, EngineOption)}: unknown engine '{parse.GetValue(EngineOption)}' (choose from: {string.Join(", ", EngineCatalog.All.Select(e => e.Name))})");
        if (!engine.Support.IsSupported)
            return Fail(ExitCodes.Failure, $"engine '{engine.Name}' cannot run here: {engine.Support.Reason}");

        int port = parse.GetValue(PortOption) ?? app.DefaultPort;
        if (CheckNumbers(parse, port) is { } numberError)
            return Fail(ExitCodes.Usage, numberError);
        int? ircPort = parse.GetValue(IrcPortOption);
        if (ircPort is { } irc && OptionChecks.Port(Cli.Flag(parse, IrcPortOption), irc, 0) is { } ircPortError)
            return Fail(ExitCodes.Usage, ircPortError);
        if (ircPort is not null && app is not ChatApp)
            return Fail(ExitCodes.Usage, $"{Cli.Flag(parse, IrcPortOption)}: only the chat app speaks IRC (not {app.Name})");
        if (ircPort is not null && CheckIrc(engine, parse.GetValue(HubOption)) is { } ircError)
            return Fail(ExitCodes.Usage, $"{Cli.Flag(parse, IrcPortOption)}: {ircError}");
        if (!TryResolveHost(parse.GetRequiredValue(HostOption), out var address))
            return Fail(ExitCodes.Usage, $"{Cli.Flag(parse, HostOption)}: cannot resolve '{parse.GetValue(HostOption)}'");
        if (!TryParseNetworks(parse.GetRequiredValue(LimitExemptOption), out var exempt, out string? error))
            return Fail(ExitCodes.Usage, error);
        var given = EngineOptions
            .Where(pair => parse.GetResult(pair.Option) is { Implicit: false })
            .ToDictionary(pair => pair.Setting.Name, pair => parse.GetRequiredValue(pair.Option));
        if (CheckEngineSettings(parse, given) is { } engineError)
            return Fail(ExitCodes.Usage, engineError);
        if (CheckHub(parse) is { } hubError)
            return Fail(ExitCodes.Usage, hubError);
        IPEndPoint? metricsAt = null;
        if (parse.GetValue(MetricsOption) is { } metricsText && !TryParseHostPort(metricsText, out metricsAt, out string? metricsError))
            return Fail(ExitCodes.Usage, $"{Cli.Flag(parse, MetricsOption)}: {metricsError}");
        IPEndPoint? webAt = null;
        if (parse.GetValue(WebOption) is { } webText && !TryParseHostPort(webText, out webAt, out string? webError))
            return Fail(ExitCodes.Usage, $"{Cli.Flag(parse, WebOption)}: {webError}");
        if (webAt is not null && app is not ChatApp)
            return Fail(ExitCodes.Usage, $"{Cli.Flag(parse, WebOption)}: only the chat app has a web page (not {app.Name})");
        if (!TryParseOrigins(parse.GetValue(WebOriginsOption), out var webOrigins, out string? originsError))
            return Fail(ExitCodes.Usage, $"{Cli.Flag(parse, WebOriginsOption)}: {originsError}");
        ServerCertificate? tls = null;
        if (parse.GetValue(TlsCertOption) is { Length: > 0 } certificatePath)
        {
            try
            {
                // A forking worker does not check the dates: its parent did, and a certificate that
                // expires while serving must not stop the pool from starting workers.
                tls = ServerCertificate.Load(certificatePath, parse.GetValue(TlsKeyOption) is { Length: > 0 } keyPath ? keyPath : null, checkDates: !Prefork.IsWorker);
            }
            catch (ServerCertificateException e)
            {
                return Fail(ExitCodes.Usage, $"{Cli.Flag(parse, TlsCertOption)}: {e.Message}");
            }
        }
        else if (parse.GetValue(TlsKeyOption) is { Length: > 0 })
        {
            return Fail(ExitCodes.Usage, $"{Cli.Flag(parse, TlsKeyOption)}: give the certificate too (--tls-cert)");
        }

        try
        {
            // Each part validates its own settings, once: the server its options, the engine its
            // own, the app its settings. A value out of range is their message, on one line.
            engine = engine.WithSettings(given);
            engine.Validate();
            if (engine is ForkingEngine forking && workers is not null)
            {
                // Workers are this program again, given every setting as a flag: never the file,
                // which may have changed since (a reload says when it counts), nor its errors.
                engine = new ForkingEngine
                {
                    MinSpareWorkers = forking.MinSpareWorkers,
                    MaxWorkers = forking.MaxWorkers,
                    ConnectionsPerWorker = forking.ConnectionsPerWorker,
                    WorkerProgram = () => ThisProgram.StartInfo(workers.Current),
                };
            }

            var options = new ServerOptions
            {
                EndPoint = new IPEndPoint(address, port),
                Backlog = parse.GetValue(BacklogOption),
                MaxConnections = parse.GetValue(MaxConnectionsOption),
                MaxPendingBytes = parse.GetValue(MaxPendingOption),
                MaxPendingTotalBytes = parse.GetValue(MaxPendingTotalOption),
                MaxPendingSoftBytes = parse.GetValue(MaxPendingSoftOption),
                MaxPendingSoftTime = parse.GetValue(MaxPendingSoftSecondsOption).ToTimeSpan(),
                MaxLineLength = parse.GetValue(MaxLineOption) ?? app.DefaultMaxLineLength,
                IdleTimeout = parse.GetValue(IdleTimeoutOption).ToTimeSpan(),
                ShutdownTimeout = parse.GetValue(ShutdownTimeoutOption).ToTimeSpan(),
                Tls = tls,
            };
            options = WithAddressLimits(options, parse, app, engine, exempt);
            options.Validate();
            double rate = parse.GetValue(RateOption);
            var settings = new AppSettings
            {
                Interval = parse.GetValue(IntervalOption).ToTimeSpan(),
                Utc = parse.GetValue(UtcOption),
                Chat = AppDefaults.Chat with
                {
                    History = parse.GetValue(HistoryOption),
                    Hub = parse.GetValue(HubOption),
                    Rate = rate,
                    RegisterTimeout = parse.GetValue(RegisterTimeoutOption).ToTimeSpan(),
                    Burst = double.IsFinite(rate) ? (int)Math.Clamp(Math.Ceiling(rate * 2), 1, int.MaxValue) : 1,
                },
            };
            settings.Validate();
            return new ServePlan(app, engine, options, settings, address, ircPort, metricsAt, webAt, webOrigins, LogLevelOption.GetValue(parse), LogFormatOption.GetValue(parse));
        }
        catch (Exception e) when (e is ArgumentException or OverflowException)
        {
            return Fail(ExitCodes.Usage, e.Message);
        }
    }

    /// <summary>A value <see cref="Plan"/> cannot take: the exit code, and the line that says why.</summary>
    private sealed class PlanException(int exitCode, string message) : Exception(message)
    {
        public int ExitCode { get; } = exitCode;
    }

    /// <summary>What serve runs: see <see cref="Plan"/>.</summary>
    private sealed record ServePlan(
        App App, Engine Engine, ServerOptions Options, AppSettings Settings, IPAddress Address, int? IrcPort, IPEndPoint? MetricsAt,
        IPEndPoint? WebAt, IReadOnlyList<string> WebOrigins, LogLevel LogLevel, LogFormat LogFormat);

    /// <summary>
    /// The numbers given, in range, before any settings are built: the first that is not, named
    /// as typed (the settings' own checks are for the library's users and name no flag).
    /// </summary>
    private static string? CheckNumbers(ParseResult parse, int port) =>
        OptionChecks.Port(Cli.Flag(parse, PortOption), port, 0)
        ?? OptionChecks.AtLeast(parse, MaxConnectionsOption, 1)
        ?? OptionChecks.AtLeast(parse, MaxPendingOption, 1L)
        ?? OptionChecks.ZeroOrMore(parse, MaxPendingTotalOption, "no cap")
        ?? OptionChecks.ZeroOrMore(parse, MaxPendingSoftOption, "off")
        ?? OptionChecks.AtLeast(parse, MaxLineOption, 1)
        ?? OptionChecks.ZeroOrMore(parse, MaxPerAddressOption, "off")
        ?? OptionChecks.ZeroOrMore(parse, ConnectRateOption, "off")
        ?? OptionChecks.AtLeast(parse, BacklogOption, 1)
        ?? OptionChecks.ZeroOrMore(parse, HistoryOption, "none")
        ?? OptionChecks.MoreThanZero(parse, RateOption, "lines a second");

    /// <summary>
    /// Every engine setting given is checked by each engine that declares it, whichever engine
    /// runs (a mistyped --loops is an error on async too, not silently ignored), one at a time so
    /// that the error names its flag: <c>--workers: bad value '3..2': the most workers (2) must be
    /// at least the spare workers (3)</c>.
    /// </summary>
    private static string? CheckEngineSettings(ParseResult parse, Dictionary<string, string> given)
    {
        foreach (var (option, setting) in EngineOptions.Where(pair => given.ContainsKey(pair.Setting.Name)))
        {
            var one = new Dictionary<string, string> { [setting.Name] = given[setting.Name] };
            foreach (var declaring in EngineCatalog.All.Where(e => e.Settings.Any(s => s.Name == setting.Name)))
            {
                try
                {
                    declaring.WithSettings(one).Validate();
                }
                catch (ArgumentException e)
                {
                    return FlagError(Cli.Flag(parse, option), given[setting.Name], e.Message);
                }
            }
        }

        return null;
    }

    /// <summary>Whether the chat can speak IRC on <paramref name="engine"/> (with <paramref name="hub"/>): the reason if not.</summary>
    private static string? CheckIrc(Engine engine, string? hub)
    {
        try
        {
            ChatApp.CheckIrc(engine, AppDefaults.Chat with { Hub = hub });
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    /// <summary><c>--hub</c>, checked as the chat checks it, the error led by the flag.</summary>
    private static string? CheckHub(ParseResult parse)
    {
        if (parse.GetValue(HubOption) is not { } hub)
            return null;
        try
        {
            (AppDefaults with { Chat = AppDefaults.Chat with { Hub = hub } }).Validate();
            return null;
        }
        catch (ArgumentException e)
        {
            return FlagError(Cli.Flag(parse, HubOption), hub, e.Message);
        }
    }

    /// <summary>
    /// A library's message about a value given, led by the flag: as it is when it already is,
    /// else after <c>FLAG: bad value 'TEXT': </c> (in place of its own <c>bad FLAG 'TEXT': </c>).
    /// </summary>
    private static string FlagError(string flag, string text, string message)
    {
        if (message.StartsWith(flag + " ", StringComparison.Ordinal))
            return message;
        string own = $"bad {flag} '{text}': "; // the engines' own parse errors
        if (message.StartsWith(own, StringComparison.Ordinal))
            message = message[own.Length..];
        return $"{flag}: bad value '{text}': {message}";
    }

    /// <summary>
    /// The per-address limits: as given, else the app's defaults, except on an engine that cannot
    /// count per address (forking), where they default to off; given there, the server refuses them.
    /// </summary>
    private static ServerOptions WithAddressLimits(ServerOptions options, ParseResult parse, App app, Engine engine, IReadOnlyList<IPNetwork> exempt)
    {
        return options with
        {
            MaxConnectionsPerAddress = parse.GetValue(MaxPerAddressOption) ?? (engine.CanLimitPerAddress ? app.DefaultMaxConnectionsPerAddress : 0),
            ConnectRatePerMinute = parse.GetValue(ConnectRateOption) ?? (engine.CanLimitPerAddress ? app.DefaultConnectRatePerMinute : 0),
            LimitExempt = exempt,
        };
    }

    /// <summary>Parses <c>--limit-exempt</c>: addresses (a network of one) and CIDR networks, comma-separated; empty is none.</summary>
    private static bool TryParseNetworks(string text, out IReadOnlyList<IPNetwork> networks,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        var list = new List<IPNetwork>();
        networks = list;
        error = null;
        foreach (string item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = item.Split('/', 2);
            if (!IPAddress.TryParse(parts[0].Trim('[', ']'), out var address))
            {
                error = $"--limit-exempt: bad entry '{item}': not an address or CIDR network (e.g. 10.0.0.0/8, ::1)";
                return false;
            }

            int bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
            int prefix = bits;
            if (parts.Length == 2 && !(int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out prefix) && prefix <= bits))
            {
                error = $"--limit-exempt: bad entry '{item}': the prefix length must be 0-{bits}";
                return false;
            }

            list.Add(new IPNetwork(Masked(address, prefix), prefix));
        }

        return true;
    }

    /// <summary>The address with the bits past the prefix cleared (10.1.2.3/8 means 10.0.0.0/8).</summary>
    private static IPAddress Masked(IPAddress address, int prefix)
    {
        byte[] bytes = address.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int keep = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPAddress(bytes);
    }

    private static string FormatNetwork(IPNetwork network) =>
        network.PrefixLength == (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)
            ? network.BaseAddress.ToString()
            : network.ToString();

    /// <summary>One line on stderr when the server is reachable from other machines: the apps have no authentication.</summary>
    private static void WarnIfServingTheNetwork(IPEndPoint endPoint, App app)
    {
        if (IPAddress.IsLoopback(endPoint.Address))
            return;
        BatchedLogWriter.FlushAll(); // after the log lines before it
        Console.Error.WriteLine($"switchboard: warning: {app.Name} has no authentication and {endPoint} is reachable from other machines; anyone who can connect can use it");
        Console.Error.Flush();
    }

    /// <summary>A default that differs by app, for help: "51423 for time, 1234 for the others".</summary>
    private static string DefaultsPerApp(Func<App, int> value)
    {
        var common = AppCatalog.All.GroupBy(value).MaxBy(g => g.Count())!;
        var own = AppCatalog.All.Where(a => value(a) != common.Key).Select(a => $"{value(a)} for {a.Name}");
        return string.Join(", ", own.Append($"{common.Key} for the others"));
    }

    /// <summary>
    /// Every connection is a descriptor: take all the kernel allows (the soft limit is often 1,024),
    /// and say at Debug what the limit is. Usually the .NET runtime has raised it already, at start.
    /// </summary>
    private static void RaiseDescriptorLimit(ILogger logger)
    {
        try
        {
            var (before, after) = DescriptorLimit.RaiseToHardLimit();
            if (Prefork.IsWorker) // workers inherit the raised limit; the parent said it once
                return;
            if (after > before)
                Log.RaisedDescriptorLimit(logger, after, before);
            else
                Log.DescriptorLimitAtHardLimit(logger, after);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Log.DescriptorLimitUnchanged(logger, e.Message);
        }
    }

    /// <summary><c>HOST:PORT</c> (<c>[::1]:9464</c> for IPv6), the host resolved as <c>--host</c> is.</summary>
    private static bool TryParseHostPort(string text, [NotNullWhen(true)] out IPEndPoint? endPoint, [NotNullWhen(false)] out string? error)
    {
        endPoint = null;
        int colon = text.LastIndexOf(':');
        string host = colon > 0 ? text[..colon] : "";
        if (host.Length == 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port))
        {
            error = $"write HOST:PORT, e.g. 127.0.0.1:9464 (got '{text}')";
            return false;
        }

        if (port > IPEndPoint.MaxPort)
        {
            error = $"bad port {port} in '{text}' (0-{IPEndPoint.MaxPort})";
            return false;
        }

        if (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('['))
        {
            error = $"write an IPv6 address in brackets, e.g. [::1]:9464 (got '{text}')";
            return false;
        }

        if (!TryResolveHost(host, out var address))
        {
            error = $"cannot resolve '{host}'";
            return false;
        }

        endPoint = new IPEndPoint(address, port);
        error = null;
        return true;
    }

    /// <summary>
    /// <c>--web-origins</c>: each an origin as a browser sends it, <c>SCHEME://HOST[:PORT]</c>
    /// (http or https, no path), written back in that form.
    /// </summary>
    private static bool TryParseOrigins(string? text, out IReadOnlyList<string> origins, [NotNullWhen(false)] out string? error)
    {
        var found = new List<string>();
        origins = found;
        error = null;
        foreach (string origin in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
                || uri.PathAndQuery != "/" || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
            {
                error = $"bad origin '{origin}': write SCHEME://HOST[:PORT], e.g. https://chat.example.org";
                return false;
            }

            found.Add(uri.IsDefaultPort ? $"{uri.Scheme}://{uri.Host}" : $"{uri.Scheme}://{uri.Host}:{uri.Port}");
        }

        return true;
    }

    /// <summary>Kestrel's bind failure in a few words: "address already in use", say.</summary>
    private static string ListenFailure(Exception e) =>
        (e.InnerException ?? e).Message.TrimEnd('.').ToLowerInvariant();

    private static bool TryResolveHost(string host, out IPAddress address)
    {
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
            return false;
        }
    }

    /// <summary>The least important log lines shown: <c>--log-level</c>, which a reload may change.</summary>
    private sealed class LiveLogLevel(LogLevel level)
    {
        private volatile int _level = (int)level;

        public LogLevel Level
        {
            get => (LogLevel)_level;
            set => _level = (int)value;
        }

        public bool Allows(LogLevel logLevel) => logLevel != LogLevel.None && (int)logLevel >= _level;
    }

    /// <summary>The ways <c>--log-format</c> writes log lines.</summary>
    private enum LogFormat
    {
        Text,
        Json,
        Systemd,
    }

    /// <summary>
    /// Log lines on stderr, in <paramref name="format"/>. A forking server's workers are this
    /// program started again with the same arguments, so they write the same format to the same
    /// stderr: text says which one speaks with a <c>[worker PID]</c> prefix (CompactConsoleFormatter),
    /// json and systemd with a scope, <c>worker PID</c>, on every line a worker writes.
    /// </summary>
    private static ILoggerFactory CreateLoggerFactory(LiveLogLevel level, LogFormat format) =>
        LoggerFactory.Create(builder =>
        {
            // Every level passes the factory; the filter asks the level in force, which a reload may change.
            builder.SetMinimumLevel(LogLevel.Trace);
            builder.AddFilter(logLevel => level.Allows(logLevel));
            switch (format)
            {
                case LogFormat.Json:
                    builder.AddJsonConsole(o =>
                    {
                        o.IncludeScopes = true;
                        o.UseUtcTimestamp = true;
                        o.TimestampFormat = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'";
                        o.JsonWriterOptions = new JsonWriterOptions { Indented = false };
                    });
                    break;
                case LogFormat.Systemd:
                    builder.AddSystemdConsole(o => o.IncludeScopes = true); // journald adds the time
                    break;
                default:
                    builder.AddConsole(o => o.FormatterName = CompactConsoleFormatter.FormatterName);
                    // Registered as it is: the formatter has no options, and AddConsoleFormatter<,>
                    // would bind some from configuration by reflection, which a NativeAOT publish
                    // cannot keep (IL2026/IL3050; docs/benchmarks.md, "Starting a worker faster").
                    builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ConsoleFormatter, CompactConsoleFormatter>());
                    break;
            }

            // The console registrations above bring the formatters and their options; the lines
            // go to stderr through the batched writer, not the console logger's thread.
            string formatterName = format switch
            {
                LogFormat.Json => ConsoleFormatterNames.Json,
                LogFormat.Systemd => ConsoleFormatterNames.Systemd,
                _ => CompactConsoleFormatter.FormatterName,
            };
            builder.Services.RemoveAll<ILoggerProvider>();
            builder.Services.AddSingleton<ILoggerProvider>(services =>
            {
                var batched = new BatchedLoggerProvider(services.GetServices<ConsoleFormatter>().Single(f => f.Name == formatterName), Console.Error);
                // A worker's lines all carry its scope.
                return Prefork.IsWorker ? new WorkerLoggerProvider(batched) : batched;
            });
        });

    /// <summary>
    /// A forking server's worker's logger: the batched logger, with <see cref="WorkerScope"/> the
    /// outermost scope of every line (also of lines from threads that carry no scopes of their own).
    /// </summary>
    private sealed class WorkerLoggerProvider(BatchedLoggerProvider inner) : ILoggerProvider, ISupportExternalScope
    {
        public ILogger CreateLogger(string categoryName) => inner.CreateLogger(categoryName);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => inner.SetScopeProvider(new WithWorkerScope(scopeProvider));

        public void Dispose() => inner.Dispose();

        private sealed class WithWorkerScope(IExternalScopeProvider scopes) : IExternalScopeProvider
        {
            public void ForEachScope<TState>(Action<object?, TState> callback, TState state)
            {
                callback(WorkerScope.Instance, state);
                scopes.ForEachScope(callback, state);
            }

            public IDisposable Push(object? state) => scopes.Push(state);
        }
    }

    /// <summary>
    /// The scope that marks a worker's lines: <c>worker PID</c>; in json, <c>{"Message":"worker PID","WorkerPid":PID}</c>.
    /// </summary>
    private sealed class WorkerScope : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public static readonly WorkerScope Instance = new();

        private readonly KeyValuePair<string, object?> _pid = new("WorkerPid", Environment.ProcessId);

        public int Count => 1;

        public KeyValuePair<string, object?> this[int index] =>
            index == 0 ? _pid : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return _pid;
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"worker {Environment.ProcessId}";
    }

    /// <summary>
    /// SIGINT (Ctrl-C) and SIGTERM, caught from construction until disposed: a second signal kills
    /// the process the usual way.
    /// </summary>
    /// <summary>
    /// SIGHUP, taken from its default (ending the process) and turned into reloads, one at a
    /// time, in order, on a thread of their own; signals that come during a reload make one more.
    /// </summary>
    private sealed class ReloadSignals : IDisposable
    {
        private readonly PosixSignalRegistration _sighup;
        private readonly SemaphoreSlim _pending = new(0, 1);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private volatile bool _stopped;

        public ReloadSignals(Action reload)
        {
            _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                if (_stopped)
                    return;
                try
                {
                    _pending.Release();
                }
                catch (SemaphoreFullException)
                {
                    // One is waiting already: it reads the settings as they are when it runs.
                }
            });
            _loop = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        await _pending.WaitAsync(_stop.Token).ConfigureAwait(false);
                        reload();
                    }
                }
                catch (OperationCanceledException)
                {
                    // Stopping.
                }
            });
        }

        /// <summary>Reloads no more (a reload in progress finishes first); SIGHUP is still taken from its default, and ignored.</summary>
        public void Stop()
        {
            if (_stopped)
                return;
            _stopped = true;
            _stop.Cancel();
            _loop.Wait();
        }

        public void Dispose()
        {
            Stop();
            _sighup.Dispose();
            _stop.Dispose();
            _pending.Dispose();
        }
    }

    private sealed class ShutdownSignals : IDisposable
    {
        private readonly TaskCompletionSource<string> _received = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly PosixSignalRegistration _sigint;
        private readonly PosixSignalRegistration _sigterm;

        public ShutdownSignals()
        {
            _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
            _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        }

        /// <summary>Completes with the first signal's name.</summary>
        public Task<string> Received => _received.Task;

        public void Dispose()
        {
            _sigint.Dispose();
            _sigterm.Dispose();
        }

        private void Handle(PosixSignalContext context) =>
            context.Cancel = _received.TrySetResult(context.Signal == PosixSignal.SIGINT ? "SIGINT" : "SIGTERM");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "{Signal} received: shutting down")]
        public static partial void Stopping(ILogger logger, string signal);

        [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "open files limit {Limit} (raised from {Before})")]
        public static partial void RaisedDescriptorLimit(ILogger logger, ulong limit, ulong before);

        [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "open files limit {Limit}, already at the hard limit")]
        public static partial void DescriptorLimitAtHardLimit(ILogger logger, ulong limit);

        [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Could not raise the open-files limit: {Error}")]
        public static partial void DescriptorLimitUnchanged(ILogger logger, string error);

        [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Stopped")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "SIGHUP received: reloading the settings")]
        public static partial void Reloading(ILogger logger);

        [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "Reloaded: {Changes}")]
        public static partial void Reloaded(ILogger logger, string changes);

        [LoggerMessage(EventId = 107, Level = LogLevel.Warning, Message = "Reload: changed, but in force only after a restart: {Changes}")]
        public static partial void NeedsRestart(ILogger logger, string changes);

        [LoggerMessage(EventId = 108, Level = LogLevel.Error, Message = "Reload failed, nothing changed: {Error}")]
        public static partial void ReloadFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Serving {EndPoint}, a socket passed by the service manager (socket activation)")]
        public static partial void Activated(ILogger logger, IPEndPoint endPoint);

        [LoggerMessage(EventId = 113, Level = LogLevel.Information, Message = "Serving on {Engine}, the default here: {PassedOver} cannot run ({Reason})")]
        public static partial void DefaultPassedOver(ILogger logger, string engine, string passedOver, string reason);

        [LoggerMessage(EventId = 111, Level = LogLevel.Information, Message = "TLS on every listener, certificate {Certificate}")]
        public static partial void Tls(ILogger logger, ServerCertificate certificate);

        [LoggerMessage(EventId = 112, Level = LogLevel.Information, Message = "Reload: TLS certificate read again, presented from the next handshake on: {Certificate}")]
        public static partial void CertificateReloaded(ILogger logger, ServerCertificate certificate);
    }
}
