using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Switchboard.Apps;
using Switchboard.Cli.Web;
using Switchboard.Engines;
using Switchboard.Hosting;

namespace Switchboard.Cli;

// serve on SIGHUP: the configuration file and the environment read again, as at start, and what
// can change while serving put in force without dropping a connection.
internal static partial class ServeCommand
{
    /// <summary>
    /// The server options a reload puts in force (<see cref="Server.Reconfigure"/>), by flag name
    /// without dashes. Everything else but the app's own (<see cref="App.LiveSettings"/>) and
    /// the log level needs a restart.
    /// </summary>
    private static readonly HashSet<string> LiveServerSettings = new(StringComparer.Ordinal)
    {
        "max-connections", "max-pending", "max-pending-total", "max-pending-soft", "max-pending-soft-seconds", "max-line",
        "idle-timeout", "max-connections-per-ip", "connect-rate", "limit-exempt", "shutdown-timeout",
    };

    /// <summary>
    /// Reloads serve's settings on SIGHUP: reads the command line, <c>--config</c>'s file and the
    /// environment again, checks them as at start, puts in force what can change while serving
    /// and logs what changed and what waits for a restart. A bad value changes nothing.
    /// </summary>
    private sealed class Reloader
    {
        private readonly RootCommand _root;
        private readonly Command _serve;
        private readonly string[] _args;
        private readonly ServeContext _context;
        private readonly IReadOnlyList<Server> _servers;
        private readonly WebChatEndpoint? _web;
        private readonly LiveLogLevel _logLevel;
        private readonly ILogger _logger;
        private readonly Dictionary<string, object?> _running;
        private readonly WorkerArguments _workers;
        private bool _tlsStaysOn; // this reload's: TLS was on and stays on (a new certificate is put in force)

        public Reloader(ParseResult parse, ServeContext context, App app, Engine engine, IReadOnlyList<Server> servers, WebChatEndpoint? web, LiveLogLevel logLevel, ILogger logger, WorkerArguments workers)
        {
            _web = web;
            _workers = workers;
            _root = (RootCommand)parse.RootCommandResult.Command;
            _serve = parse.CommandResult.Command;
            _args = Environment.GetCommandLineArgs()[1..];
            _context = context;
            App = app;
            Engine = engine;
            _servers = servers;
            _logLevel = logLevel;
            _logger = logger;
            _running = SettableOptions(_serve).ToDictionary(option => option.Name, option => ValueOf(parse, option), StringComparer.Ordinal);
        }

        private App App { get; }

        private Engine Engine { get; }

        /// <summary>Reads the settings again and puts in force what can change; logs the outcome. Never throws for a bad setting.</summary>
        public void Reload()
        {
            OptionNames.Origins.Clear();
            if (!ServeConfiguration.TryExpand(_root, _serve, ConfigOption, _args, out string[] expanded, out string? configError))
            {
                Log.ReloadFailed(_logger, configError);
                return;
            }

            var parse = _root.Parse(expanded);
            if (parse.Errors.Count > 0)
            {
                Log.ReloadFailed(_logger, ParseErrors.Describe(parse.Errors, OptionNames.Origins));
                return;
            }

            ServePlan plan;
            try
            {
                plan = Plan(parse);
            }
            catch (PlanException e)
            {
                Log.ReloadFailed(_logger, e.Message);
                return;
            }

            string app = parse.GetRequiredValue(AppArgument);
            if (!string.Equals(app, App.Name, StringComparison.OrdinalIgnoreCase))
            {
                Log.ReloadFailed(_logger, $"the app changes only with a restart ({App.Name} -> {app.ToLowerInvariant()})");
                return;
            }

            // The certificate's files are read again at every reload (a renewed certificate keeps
            // its file's name), and put in force if TLS stays on; turning it on or off waits for
            // a restart, as the diff below says.
            var (running, fresh) = (_context.Options.Tls, plan.Options.Tls);
            _tlsStaysOn = running is not null && fresh is not null;

            var changed = SettableOptions(_serve)
                .Select(option => (Key: option.Name[2..], option.Name, Was: _running[option.Name], Now: ValueOf(parse, option)))
                .Where(change => !Equals(change.Was, change.Now))
                .ToList();
            var live = changed.Where(change => IsLive(change.Key)).ToList();
            var waiting = changed.Where(change => !IsLive(change.Key)).ToList();
            // On forking the workers hold their own copy of the certificate: fresh workers read the files.
            bool retireWorkers = _tlsStaysOn && Engine is ForkingEngine;
            if ((live.Count > 0 || retireWorkers) && !TryApply(plan, parse, live.Select(c => c.Name)))
                return;

            if (_tlsStaysOn)
            {
                running!.ReplaceWith(fresh!);
                Log.CertificateReloaded(_logger, running);
            }

            foreach (var change in live)
                _running[change.Name] = change.Now;
            string applied = live.Count == 0 ? "nothing changed" : string.Join(", ", live.Select(c => $"{c.Key} {Text(c.Was)} -> {Text(c.Now)}"));
            Log.Reloaded(_logger, applied);
            if (waiting.Count > 0)
                Log.NeedsRestart(_logger, string.Join(", ", waiting.Select(c => $"{c.Key} {Text(c.Was)} -> {Text(c.Now)}")));
        }

        /// <summary>Whether a setting changes while serving (here: a forking parent's connection limit is its pool's, fixed at start).</summary>
        private bool IsLive(string key) =>
            key == "log-level"
            || (key is "tls-cert" or "tls-key" && _tlsStaysOn)
            || App.LiveSettings.Contains(key)
            || (LiveServerSettings.Contains(key) && !(key == "max-connections" && Engine is ForkingEngine));

        /// <summary>Puts the live settings of <paramref name="plan"/> in force (those named <paramref name="live"/> changed); false, logged, if a part refused.</summary>
        private bool TryApply(ServePlan plan, ParseResult parse, IEnumerable<string> live)
        {
            // On forking, fresh workers take the place of the running ones (Server.Reconfigure
            // retires them): they start with the settings in force, the new live ones and the
            // running rest, so first say what those are.
            var before = _workers.Save();
            _workers.Take(parse, live);
            try
            {
                // Every server, also when only the app's settings changed: on forking, that is
                // what brings fresh workers.
                foreach (var server in _servers)
                    server.Reconfigure(WithLiveSettings(server.Options, plan.Options, lineLength: server.Options.ListenerName.Length == 0, Engine));
                App.Reconfigure(_context, plan.Settings);
                _web?.Reconfigure(WithLiveSettings(_web.Options, plan.Options, lineLength: true, Engine));
            }
            catch (ArgumentException e)
            {
                _workers.Restore(before); // a refused value must not reach a worker started later
                Log.ReloadFailed(_logger, e.Message);
                return false;
            }

            _logLevel.Level = plan.LogLevel;
            return true;
        }

        /// <summary><paramref name="running"/> with the live settings of <paramref name="read"/> (a second listener, IRC, keeps its own line length).</summary>
        private static ServerOptions WithLiveSettings(ServerOptions running, ServerOptions read, bool lineLength, Engine engine) => running with
        {
            MaxConnections = engine is ForkingEngine ? running.MaxConnections : read.MaxConnections,
            MaxPendingBytes = read.MaxPendingBytes,
            MaxPendingTotalBytes = read.MaxPendingTotalBytes,
            MaxPendingSoftBytes = read.MaxPendingSoftBytes,
            MaxPendingSoftTime = read.MaxPendingSoftTime,
            MaxLineLength = lineLength ? read.MaxLineLength : running.MaxLineLength,
            IdleTimeout = read.IdleTimeout,
            MaxConnectionsPerAddress = read.MaxConnectionsPerAddress,
            ConnectRatePerMinute = read.ConnectRatePerMinute,
            LimitExempt = read.LimitExempt,
            ShutdownTimeout = read.ShutdownTimeout,
        };

        private static object? ValueOf(ParseResult parse, Option option) =>
            parse.GetResult(option) is { } result ? result.GetValueOrDefault<object?>() : null;

        private static string Text(object? value) => value switch
        {
            null => "(none)",
            "" => "''",
            _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
        };
    }

    /// <summary>
    /// The arguments a forking server's workers are started with: serve's, every setting in force
    /// given as a flag, as the command line, the file and the environment set it (never
    /// <c>--config</c>: a worker does not read the file, which may have changed since, or hold a
    /// mistake). A reload changes the live settings here; the others stay as the server started.
    /// </summary>
    private sealed class WorkerArguments
    {
        private readonly string _app;
        private readonly Dictionary<string, string[]> _flags = new(StringComparer.Ordinal); // option name: its tokens, name first
        private volatile string[] _current = [];

        public WorkerArguments(ParseResult parse)
        {
            _app = parse.GetRequiredValue(AppArgument);
            foreach (var option in SettableOptions(parse.CommandResult.Command))
                Set(parse, option);
            Build();
        }

        public string[] Current
        {
            get => _current;
            set => _current = value;
        }

        /// <summary>What <see cref="Restore"/> puts back.</summary>
        public (Dictionary<string, string[]> Flags, string[] Current) Save() => (new(_flags, StringComparer.Ordinal), _current);

        public void Restore((Dictionary<string, string[]> Flags, string[] Current) saved)
        {
            _flags.Clear();
            foreach (var (name, tokens) in saved.Flags)
                _flags[name] = tokens;
            _current = saved.Current;
        }

        /// <summary>The settings named <paramref name="names"/> as <paramref name="parse"/> gives them.</summary>
        public void Take(ParseResult parse, IEnumerable<string> names)
        {
            var wanted = names.ToHashSet(StringComparer.Ordinal);
            foreach (var option in SettableOptions(parse.CommandResult.Command).Where(o => wanted.Contains(o.Name)))
                Set(parse, option);
            Build();
        }

        private void Set(ParseResult parse, Option option)
        {
            if (parse.GetResult(option) is { IdentifierToken: not null } given)
                _flags[option.Name] = [option.Name, .. given.Tokens.Select(t => t.Value)];
            else
                _flags.Remove(option.Name);
        }

        private void Build() => _current = ["serve", _app, .. _flags.Values.SelectMany(tokens => tokens)];
    }

    /// <summary>serve's options that a file may set: all but the file itself and help.</summary>
    private static IEnumerable<Option> SettableOptions(Command serve) =>
        serve.Options.Where(option => option != ConfigOption && option is not HelpOption && option.Name.StartsWith("--", StringComparison.Ordinal));
}
