using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Switchboard.Cli;
using Switchboard.Engines;
using Switchboard.Hosting;

namespace Switchboard.Bench;

/// <summary><c>switchboard-bench SCENARIO</c>: the engines side by side under the same load.</summary>
internal static class BenchCommand
{
    private static readonly string[] Scenarios = ["echo", "latency", "connections", "churn", "chat", "time"];

    private static readonly Argument<string> ScenarioArgument = new("scenario")
    {
        Description = "echo: clients keep messages in flight (throughput, server CPU per message); " +
                      "latency: one message in flight per client (round-trip percentiles); " +
                      "connections: open many idle connections (accept rate, memory per connection); " +
                      "churn: clients connect, make one round trip and close, over and over (connections/s); " +
                      "chat: clients in one room, --senders of them saying a line every 10 ms (deliveries/s, delivery latency, server CPU per delivery; a throttling server is detected); " +
                      "time: clients of the time app ticking every --interval (how late ticks arrive)",
    };

    private static readonly Option<string> EnginesOption = new("--engines")
    {
        Description = "Engines to compare, comma-separated, or 'all' (those that run here). Three reference peers, servers that are not ours: two echo servers " +
                      "run echo, latency, connections and churn: 'kestrel', on ASP.NET Core's Kestrel (bench/Switchboard.KestrelEcho), part of 'all' when it is found built (see --kestrel); " +
                      "'c-epoll', the C floor, a single-threaded epoll echo server in C (bench/peers/epoll-echo.c, compiled by the bench with cc), part of 'all' when its source and cc are found (see --c-peer), not with --tls; " +
                      "and a chat server runs chat: 'twisted', a chat room on Python's Twisted (" + TwistedPeer.ScriptPath + ", its default epoll reactor), part of 'all' when its script and a Python 3 with Twisted are found (see --twisted), not with --tls",
        DefaultValueFactory = _ => "all",
        HelpName = "list",
    };

    private static readonly Option<string?> TargetOption = new("--target")
    {
        Description = "Load an external server at HOST:PORT instead of starting our own (an echo server; for chat and time, that app). " +
                      "chat only: several, comma-separated, are nodes sharing rooms (serve chat --hub redis://...): " +
                      "client i joins node i % count, and the table adds the latency of lines that crossed nodes",
        HelpName = "host:port[,host:port...]",
    };

    private static readonly Option<string> OutOption = new("--out")
    {
        Description = "Directory for the results: SCENARIO.json (machine, settings, results) and bar charts (PNG, SVG)",
        DefaultValueFactory = _ => "bench-results",
        HelpName = "dir",
    };

    private static readonly Option<int> ClientsOption = new("--clients", "-c")
    {
        Description = "Concurrent clients (echo, latency, churn, chat, time)",
        DefaultValueFactory = _ => 100,
        HelpName = "n",
    };

    private static readonly Option<int> SendersOption = new("--senders")
    {
        Description = "chat: clients that talk; the others listen",
        DefaultValueFactory = _ => 10,
        HelpName = "n",
    };

    private static readonly Option<int> InFlightOption = new("--in-flight", "-m")
    {
        Description = "Messages each echo client keeps in flight",
        DefaultValueFactory = _ => 1000,
        HelpName = "n",
    };

    private static readonly Option<int> SizeOption = new("--size", "-s")
    {
        Description = "Message size in bytes",
        DefaultValueFactory = _ => 32,
        HelpName = "bytes",
    };

    private static readonly Option<string> DurationOption = new("--duration", "-d")
    {
        Description = "How long each load runs: 10s, 500ms, 5m, 1h, or plain seconds (2.5), as for serve",
        DefaultValueFactory = _ => "10s",
        HelpName = "time",
    };

    private static readonly Option<int> ConnectionsOption = new("--connections", "-n")
    {
        Description = "Idle connections to open (connections)",
        DefaultValueFactory = _ => 10_000,
        HelpName = "n",
    };

    private static readonly Option<int> ConnectWindowOption = new("--connect-window")
    {
        Description = "connections: connects in flight at once; 1 connects one after another as fast as one client can (an accept storm: the listen queue fills whenever the server accepts more slowly than the client connects, and the table's 'overflows' column counts the kernel's dropped handshakes)",
        DefaultValueFactory = _ => 100,
        HelpName = "n",
    };

    private static readonly Option<string> IntervalOption = new("--interval")
    {
        Description = "time: how often the time app ticks: 100ms, 1s, or plain seconds (0.5), as for serve",
        DefaultValueFactory = _ => "100ms",
        HelpName = "time",
    };

    private static readonly Option<string?> TimeClientOption = new("--time-client")
    {
        Description = "time: what reads the ticks. 'c' (the default): " + CTimeLoadSource + ", one C process reading every connection on one epoll loop, " +
                      "compiled by the bench with 'cc -O2' into its own folder on each run, and run on the load generator's core when pinned (--pin); it does far less per line than the .NET clients, so that the lateness measured is the server's. " +
                      "'dotnet': the bench's own clients, one .NET task each, which fill their core near 100,000 lines/s and then add their own delay to the lateness, " +
                      "but can speak TLS: with --tls they are the default, and 'c' is refused. The table's first line and the JSON (Settings.TimeClient) say which measured. " +
                      "Without cc or the source, 'c' stops the run with one line: install gcc (apt-get install gcc) or pass dotnet",
        HelpName = "c|dotnet",
    };

    private static readonly Option<string?> ChatClientOption = new("--chat-client")
    {
        Description = "chat: what talks and listens. 'c' (the default): " + CChatLoadSource + ", one C process holding every member on one epoll loop, the senders paced by its timeout, " +
                      "compiled by the bench with 'cc -O2' into its own folder on each run, and run on the load generator's core when pinned (--pin); it does far less per delivery than the .NET clients, so that the server CPU per delivery measured is the server's. " +
                      "'dotnet': the bench's own clients, one .NET task each, which fill their core near a million deliveries/s and then hold the server's output back, so that it pays for the backpressure, " +
                      "but can speak TLS: with --tls they are the default, and 'c' is refused. The table's first line and the JSON (Settings.ChatClient) say which measured. " +
                      "Without cc or the source, 'c' stops the run with one line: install gcc (apt-get install gcc) or pass dotnet",
        HelpName = "c|dotnet",
    };

    private static readonly Option<bool> PinOption = new("--pin")
    {
        Description = "Pin the server to core 0 and the load generator to core 1, so they never take turns on one core (on by default with two or more cores; --pin false or --no-pin to turn off)",
        DefaultValueFactory = _ => true,
    };

    private static readonly Option<bool> NoPinOption = new("--no-pin")
    {
        Description = "Do not pin the server and the load generator to different cores",
    };

    private static readonly Option<int> RepeatOption = new("--repeat", "-r")
    {
        Description = "Run each engine this many times: the table and JSON give each figure's median and its spread (lowest–highest), for a noisy machine",
        DefaultValueFactory = _ => 1,
        HelpName = "n",
    };

    private static readonly Option<bool> MetricsOption = new("--metrics")
    {
        Description = "Start each server with metrics on (serve --metrics 127.0.0.1:0) and scrape them once a second during the load, as Prometheus would: " +
                      "the server's CPU then includes what metrics cost. The table's first line says so; the JSON counts the scrapes (MetricsScrapes). " +
                      "Not with --target or a reference peer (kestrel, c-epoll, twisted)",
    };

    private static readonly Option<bool> TlsOption = new("--tls")
    {
        Description = "Every connection speaks TLS, to measure its cost against a plain run: each server started gets a self-signed certificate the bench makes " +
                      "(ECDSA P-256, deleted at the end; serve --tls-cert --tls-key, the Kestrel peer its own TLS; the C and Twisted peers have none and are refused; the time and chat loads are run by the .NET clients, see --time-client and --chat-client) and the load trusts exactly it; " +
                      "connections and churn then count full handshakes (no session resumption). With --target: the target must speak TLS itself " +
                      "(or behind a terminator such as socat OPENSSL-LISTEN), trusted by --tls-ca or the system's store",
    };

    private static readonly Option<string?> TlsCaOption = new("--tls-ca")
    {
        Description = "With --tls --target: trust the CA certificates in this PEM file instead of the system's store (a self-signed target: its certificate)",
        HelpName = "file",
    };

    private static readonly Option<string?> KestrelOption = new("--kestrel")
    {
        Description = "The built Kestrel reference peer: its Switchboard.KestrelEcho.dll or the folder it is in. " +
                      "Without it, the peer is looked for built (Release, then Debug) in bench/Switchboard.KestrelEcho above the working directory, then above the bench",
        HelpName = "path",
    };

    private static readonly Option<string?> CPeerOption = new("--c-peer")
    {
        Description = "The C epoll peer (c-epoll): its source, which the bench compiles with 'cc -O2' into its own folder, or an epoll-echo built already. " +
                      $"Without it, the source is looked for as {CEpollPeer.SourcePath} above the working directory, then above the bench, and compiled on each run that asks for the peer " +
                      "(cc missing: install gcc, e.g. apt-get install gcc)",
        HelpName = "path",
    };

    private static readonly Option<string?> TwistedOption = new("--twisted")
    {
        Description = "The Twisted chat peer (twisted): its script, run by the first of /usr/bin/python3 and python3 on PATH that can import twisted. " +
                      $"Without it, the script is looked for as {TwistedPeer.ScriptPath} above the working directory, then above the bench " +
                      "(no Python with Twisted: install it, e.g. apt-get install python3-twisted)",
        HelpName = "path",
    };

    private static readonly Option<string> SwitchboardOption = new("--switchboard")
    {
        Description = "The switchboard program that serves each engine: its .dll (run with dotnet) or its executable; " +
                      "the default is the one built beside the bench",
        DefaultValueFactory = _ => SwitchboardProgram.BesideTheBench,
        HelpName = "path",
    };

    /// <summary>The option of each reference peer (its <see cref="ReferencePeer.Option"/>).</summary>
    private static readonly Option<string?>[] PeerOptions = [KestrelOption, CPeerOption, TwistedOption];

    private static string CTimeLoadSource => CTimeLoad.Program.SourcePath;

    private static string CChatLoadSource => CChatLoad.Program.SourcePath;

    // Descriptors the load generator needs beyond one per connection (runtime, pipes, /proc reads).
    private const int DescriptorMargin = 64;

    /// <summary>The bench's whole command line: one scenario argument and its options.</summary>
    public static RootCommand Create()
    {
        var command = new RootCommand(
            "Switchboard's benchmark. Run a load against each engine in turn, each a separate 'switchboard serve' process (echo; chat or time for those scenarios), " +
            "and compare: a table on stdout, a row as each engine finishes (progress on stderr, a bar on a terminal), JSON and bar charts in --out. " +
            $"Exit codes: {ExitCodes.Ok} all ran; {ExitCodes.Failure} an engine's run failed (its row and a line on stderr say why); {ExitCodes.Usage} a bad command line; " +
            $"{BenchExitCodes.Throttled} the server throttled or refused the load (chat --target: '!' answers, senders cut off, lines not delivered; its figures are not the server's); " +
            $"{BenchExitCodes.Interrupted} interrupted by Ctrl-C or SIGTERM (what was measured is kept, marked partial or not run).")
        {
            ScenarioArgument, EnginesOption, TargetOption, OutOption, ClientsOption, SendersOption, InFlightOption, SizeOption, DurationOption,
            ConnectionsOption, ConnectWindowOption, IntervalOption, TimeClientOption, ChatClientOption, PinOption, NoPinOption, SwitchboardOption, KestrelOption, CPeerOption, TwistedOption, RepeatOption, MetricsOption,
            TlsOption, TlsCaOption,
        };
        command.SetAction((parse, _) => RunAsync(parse));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse)
    {
        if (!OperatingSystem.IsLinux())
            return BenchCli.Fail(ExitCodes.Usage, "bench reads /proc and pins processes to cores: Linux only");
        string scenario = parse.GetRequiredValue(ScenarioArgument);
        if (!Scenarios.Contains(scenario))
            return BenchCli.Fail(ExitCodes.Usage, $"unknown scenario '{scenario}' (choose from: {string.Join(", ", Scenarios)})");
        if (!TryParseDuration(parse.GetRequiredValue(DurationOption), out var duration))
            return BenchCli.Fail(ExitCodes.Usage, BadDuration(parse, DurationOption));
        if (!TryParseDuration(parse.GetRequiredValue(IntervalOption), out var interval))
            return BenchCli.Fail(ExitCodes.Usage, BadDuration(parse, IntervalOption));

        var targets = new List<IPEndPoint>();
        if (parse.GetValue(TargetOption) is { } text)
        {
            string[] endpoints = text.Split(',', StringSplitOptions.TrimEntries);
            if (endpoints.Length > 1 && scenario != "chat")
                return BenchCli.Fail(ExitCodes.Usage, $"--target takes several servers (comma-separated) for chat only: {scenario} loads one, give one HOST:PORT");
            foreach (string endpoint in endpoints)
            {
                var (target, error) = await ResolveTargetAsync(endpoint).ConfigureAwait(false);
                if (target is null)
                    return BenchCli.Fail(ExitCodes.Usage, error!);
                targets.Add(target);
            }
        }

        bool tls = parse.GetValue(TlsOption);
        string? tlsCa = parse.GetValue(TlsCaOption);
        if (tlsCa is not null && (!tls || targets.Count == 0))
            return BenchCli.Fail(ExitCodes.Usage, $"{Flag(parse, TlsCaOption)} is for --tls --target: the servers the bench starts use a certificate it makes, and the load trusts exactly that");
        if (tlsCa is not null)
        {
            try
            {
                BenchTls.ForTarget("check", tlsCa).Dispose();
            }
            catch (BenchException e)
            {
                return BenchCli.Fail(ExitCodes.Usage, e.Message);
            }
        }

        // The time load's clients: the C client unless --tls needs the .NET ones (or they are asked for).
        string? timeClient = parse.GetValue(TimeClientOption);
        if (timeClient is not (null or "c" or "dotnet"))
            return BenchCli.Fail(ExitCodes.Usage, $"{Flag(parse, TimeClientOption)} is c or dotnet (got '{timeClient}')");
        if (timeClient == "c" && tls && scenario == "time")
            return BenchCli.Fail(ExitCodes.Usage, $"{Flag(parse, TimeClientOption)} c has no TLS: leave out --tls, or pass {Flag(parse, TimeClientOption)} dotnet");
        timeClient = scenario != "time" ? null : timeClient ?? (tls ? "dotnet" : "c");

        // The chat load's clients, chosen the same way.
        string? chatClient = parse.GetValue(ChatClientOption);
        if (chatClient is not (null or "c" or "dotnet"))
            return BenchCli.Fail(ExitCodes.Usage, $"{Flag(parse, ChatClientOption)} is c or dotnet (got '{chatClient}')");
        if (chatClient == "c" && tls && scenario == "chat")
            return BenchCli.Fail(ExitCodes.Usage, $"{Flag(parse, ChatClientOption)} c has no TLS: leave out --tls, or pass {Flag(parse, ChatClientOption)} dotnet");
        chatClient = scenario != "chat" ? null : chatClient ?? (tls ? "dotnet" : "c");

        bool metrics = parse.GetValue(MetricsOption);
        if (metrics && targets.Count > 0)
            return BenchCli.Fail(ExitCodes.Usage, $"{Flag(parse, MetricsOption)} starts our servers with metrics on: a --target server is not ours (scrape it yourself)");

        foreach (var option in new[] { ClientsOption, SendersOption, InFlightOption, SizeOption, ConnectionsOption, ConnectWindowOption, RepeatOption })
        {
            if (parse.GetValue(option) is var value and < 1)
                return BenchCli.Fail(ExitCodes.Usage, $"{Flag(parse, option)} must be at least 1 (got {value})");
        }

        // The reference peers: given (an error now if the path is not one), else looked for in the source tree.
        string? metricsFlag = metrics ? Flag(parse, MetricsOption) : null;
        var located = new Dictionary<ReferencePeer, string?>();
        foreach (var peer in ReferencePeer.All)
        {
            string? given = parse.GetValue(PeerOptions.Single(o => o.Name == peer.Option));
            located[peer] = given is null ? null : peer.LocateGiven(given);
            if (given is not null && located[peer] is null)
                return BenchCli.Fail(ExitCodes.Usage, $"{peer.Option} {given}: {peer.NotThere(given)}");
        }

        // Why a peer cannot run here (not found, or no compiler for its source); null when it can.
        string? Unavailable(ReferencePeer peer) =>
            (located[peer] ??= peer.Locate()) is { } path ? peer.CannotRun(path) : peer.NotFound;

        var engines = new List<string>();
        string list = parse.GetRequiredValue(EnginesOption);
        IEnumerable<string> names;
        if (list == "all")
        {
            names = EngineCatalog.All.Where(e => e.Support.IsSupported).Select(e => e.Name);
            foreach (var peer in ReferencePeer.All)
            {
                // A peer joins 'all' only in a run it fits, quietly left out of the others (--metrics, or --tls for one without TLS).
                if (targets.Count > 0 || peer.Refusal(scenario, metricsFlag, tls) is not null)
                    continue;
                if (Unavailable(peer) is { } why)
                    Console.Error.WriteLine($"{BenchCli.Name}: {peer.Name} left out of 'all': {why}");
                else
                    names = names.Append(peer.Name);
            }
        }
        else
        {
            names = list.Split(',').Select(n => n.Trim());
        }

        foreach (string name in names)
        {
            if (ReferencePeer.Named(name) is { } peer)
            {
                if (peer.Refusal(scenario, metricsFlag, tls) is { } refusal)
                    return BenchCli.Fail(ExitCodes.Usage, refusal);
                engines.Add(peer.Name);
            }
            else if (EngineCatalog.TryGet(name, out var engine))
            {
                engines.Add(engine.Name);
            }
            else
            {
                return BenchCli.Fail(ExitCodes.Usage,
                    $"unknown engine '{name}' (choose from: {string.Join(", ", EngineCatalog.All.Select(e => e.Name).Concat(ReferencePeer.All.Select(p => p.Name)))})");
            }
        }

        var settings = new BenchSettings
        {
            Scenario = scenario,
            Engines = engines,
            Targets = targets,
            OutDirectory = parse.GetValue(OutOption),
            Clients = parse.GetValue(ClientsOption),
            Senders = parse.GetValue(SendersOption),
            InFlight = scenario == "latency" ? 1 : parse.GetValue(InFlightOption),
            Size = parse.GetValue(SizeOption),
            Duration = duration,
            Connections = parse.GetValue(ConnectionsOption),
            ConnectWindow = parse.GetValue(ConnectWindowOption),
            TickInterval = interval,
            TimeClient = timeClient,
            ChatClient = chatClient,
            Pin = parse.GetValue(PinOption) && !parse.GetValue(NoPinOption),
            Repeat = parse.GetValue(RepeatOption),
            Metrics = metrics,
            Tls = tls,
            TlsCa = tlsCa,
            TlsTargetHost = parse.GetValue(TargetOption) is { } given2 ? HostOf(given2.Split(',')[0].Trim()) : null,
        };

        if (DescriptorsWanted(settings) is var wanted && DescriptorLimit.RaiseToHardLimit().After is var limit && (ulong)wanted > limit)
        {
            return BenchCli.Fail(ExitCodes.Usage,
                $"{scenario} with {wanted - DescriptorMargin:N0} connections needs about {wanted:N0} open files, and this process may have {limit:N0} " +
                "(the hard limit, ulimit -Hn): ask for fewer, or raise the limit");
        }

        // A reference peer is its own program; every other engine is served by switchboard.
        var switchboard = new SwitchboardProgram(parse.GetRequiredValue(SwitchboardOption));
        if (targets.Count == 0 && engines.Any(e => ReferencePeer.Named(e) is null) && !switchboard.Exists)
            return BenchCli.Fail(ExitCodes.Failure, $"no switchboard program at {switchboard.Path}: build it (building bench/Switchboard.Bench builds it too) or give --switchboard");

        // The peers asked for, made ready to run (the C peer compiled; not with a target, which is loaded instead):
        // last, so that every mistake on the command line is reported before anything is compiled.
        var peerPaths = new Dictionary<string, string>();
        foreach (var peer in ReferencePeer.All.Where(p => targets.Count == 0 && engines.Contains(p.Name)))
        {
            if (Unavailable(peer) is { } why)
                return BenchCli.Fail(ExitCodes.Failure, why);
            try
            {
                peerPaths[peer.Name] = peer.Prepare(located[peer]!);
            }
            catch (BenchException e)
            {
                return BenchCli.Fail(ExitCodes.Failure, e.Message);
            }
        }

        // The C time and chat clients, compiled here like the C peer: found in the source tree, with cc.
        string? timeClientPath = null, chatClientPath = null;
        try
        {
            if (timeClient == "c")
                timeClientPath = CompileClient(CTimeLoad.Program, "pass --time-client dotnet");
            if (chatClient == "c")
                chatClientPath = CompileClient(CChatLoad.Program, "pass --chat-client dotnet");
        }
        catch (BenchException e)
        {
            return BenchCli.Fail(ExitCodes.Failure, e.Message);
        }

        settings = settings with { PeerPaths = peerPaths, TimeClientPath = timeClientPath, ChatClientPath = chatClientPath };

        // Ctrl-C or SIGTERM: stop the server under test, keep what was measured, write it out.
        using var interrupted = new CancellationTokenSource();
        void Interrupt(PosixSignalContext context)
        {
            context.Cancel = true;
            interrupted.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
        using var progress = RunProgress.ForConsole();
        var results = await new BenchRunner(settings, switchboard.StartInfo).RunAsync(Console.Out, progress, interrupted.Token).ConfigureAwait(false);
        return ReportOutcome(results, interrupted.IsCancellationRequested);
    }

    /// <summary>One line on stderr per engine whose run failed or was throttled; the exit code for the whole run.</summary>
    [SupportedOSPlatform("linux")]
    private static int ReportOutcome(IReadOnlyList<BenchResult> results, bool interrupted)
    {
        bool failed = false, throttled = false;
        foreach (var result in results)
        {
            if (result.Failure is not { } failure)
                continue;
            BenchCli.Fail(ExitCodes.Failure, $"{result.Scenario} on {result.Engine}: {failure}");
            throttled |= result.Throttled;
            failed |= !result.Throttled;
        }

        return interrupted ? BenchExitCodes.Interrupted
            : failed ? ExitCodes.Failure
            : throttled ? BenchExitCodes.Throttled
            : ExitCodes.Ok;
    }

    /// <summary>Open files the load generator will hold at once: one per connection, and a margin.</summary>
    [SupportedOSPlatform("linux")]
    private static int DescriptorsWanted(BenchSettings settings) =>
        (settings.Scenario == "connections" ? settings.Connections : settings.Clients) + DescriptorMargin;

    private static async Task<(IPEndPoint? Target, string? Error)> ResolveTargetAsync(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            return (null, $"bad target '{text}': write HOST:PORT, e.g. 127.0.0.1:1234 or localhost:1234");
        string host = text[..colon].Trim('[', ']');
        if (IPAddress.TryParse(host, out var address))
            return (new IPEndPoint(address, port), null);
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host).ConfigureAwait(false);
            var chosen = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            return chosen is null ? (null, $"cannot resolve '{host}': no address") : (new IPEndPoint(chosen, port), null);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            return (null, $"cannot resolve '{host}': {e.Message}");
        }
    }

    /// <summary>The host of a HOST:PORT target, without an IPv6 address's brackets.</summary>
    private static string HostOf(string target) => target[..Math.Max(0, target.LastIndexOf(':'))].Trim('[', ']');

    /// <summary>
    /// A C load client made ready to run: its source found in the source tree and compiled with cc;
    /// a <see cref="BenchException"/> saying in one line why not, ending with <paramref name="otherwise"/>.
    /// </summary>
    private static string CompileClient(CProgram client, string otherwise)
    {
        if (client.FindSource() is not { } source)
            throw new BenchException($"{client.Title}'s source, {client.SourcePath}, is not found (looked above the working directory and above the bench): run the bench from a clone of the repository, or {otherwise}");
        if (client.CannotCompile(source, otherwise) is { } why)
            throw new BenchException(why);
        return client.Compile(source);
    }

    private static string Flag(ParseResult parse, Option option) => Switchboard.Cli.OptionNames.AsTyped(parse, option);

    private static string BadDuration(ParseResult parse, Option<string> option) =>
        $"{Flag(parse, option)}: bad duration '{parse.GetValue(option)}': {Switchboard.Cli.Duration.Hint}; more than 0 and at most {Switchboard.Cli.Duration.Max}";

    /// <summary>A duration as every switchboard command writes it (<see cref="Switchboard.Cli.Duration"/>); more than zero, at most <see cref="Switchboard.Cli.Duration.Max"/>.</summary>
    private static bool TryParseDuration(string text, out TimeSpan duration)
    {
        bool ok = Switchboard.Cli.Duration.TryParse(text, out var parsed) && parsed.Seconds > 0 && parsed <= Switchboard.Cli.Duration.Max;
        duration = ok ? parsed.ToTimeSpan() : default;
        return ok;
    }
}
