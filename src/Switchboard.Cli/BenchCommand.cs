using System.CommandLine;
using System.Globalization;
using System.Net;
using Spectre.Console;
using Switchboard.Bench;
using Switchboard.Engines;

namespace Switchboard.Cli;

/// <summary><c>switchboard bench SCENARIO</c>: the engines side by side under the same load.</summary>
internal static class BenchCommand
{
    private static readonly string[] Scenarios = ["echo", "latency", "connections", "churn", "chat", "time"];

    private static readonly Argument<string> ScenarioArgument = new("scenario")
    {
        Description = "echo: clients keep messages in flight (throughput, server CPU per message); " +
                      "latency: one message in flight per client (round-trip percentiles); " +
                      "connections: open many idle connections (accept rate, memory per connection); " +
                      "churn: clients connect, make one round trip and close, over and over (connections/s); " +
                      "chat: clients in one room, --senders of them saying a line every 10 ms (deliveries/s, delivery latency); " +
                      "time: clients of the time app ticking every --interval (how late ticks arrive)",
    };

    private static readonly Option<string> EnginesOption = new("--engines")
    {
        Description = "Engines to compare, comma-separated, or 'all' (those that run here); 'kestrel' is the reference peer, " +
                      "an echo server on ASP.NET Core's Kestrel (bench/Switchboard.KestrelEcho)",
        DefaultValueFactory = _ => "all",
        HelpName = "list",
    };

    private static readonly Option<string?> TargetOption = new("--target")
    {
        Description = "Load an external echo server at HOST:PORT instead of starting our own",
        HelpName = "host:port",
    };

    private static readonly Option<string> OutOption = new("--out")
    {
        Description = "Directory for the results as JSON",
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
        Description = "How long each load runs: 10s, 500ms, or seconds",
        DefaultValueFactory = _ => "10s",
        HelpName = "time",
    };

    private static readonly Option<int> ConnectionsOption = new("--connections", "-n")
    {
        Description = "Idle connections to open (connections)",
        DefaultValueFactory = _ => 10_000,
        HelpName = "n",
    };

    private static readonly Option<string> IntervalOption = new("--interval")
    {
        Description = "time: how often the time app ticks: 100ms, 1s, or seconds",
        DefaultValueFactory = _ => "100ms",
        HelpName = "time",
    };

    private static readonly Option<bool> NoPinOption = new("--no-pin")
    {
        Description = "Do not pin the server and the load generator to different cores",
    };

    public static Command Create()
    {
        var command = new Command(
            "bench",
            "Run a load against each engine in turn (each a separate 'switchboard serve echo' process) and compare: " +
            "a table on the terminal and JSON in --out.")
        {
            ScenarioArgument, EnginesOption, TargetOption, OutOption, ClientsOption, SendersOption, InFlightOption, SizeOption, DurationOption,
            ConnectionsOption, IntervalOption, NoPinOption,
        };
        command.SetAction((parse, _) => RunAsync(parse));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse)
    {
        if (!OperatingSystem.IsLinux())
            return Cli.Fail(ExitCodes.Usage, "bench reads /proc and pins processes to cores: Linux only");
        string scenario = parse.GetRequiredValue(ScenarioArgument);
        if (!Scenarios.Contains(scenario))
            return Cli.Fail(ExitCodes.Usage, $"unknown scenario '{scenario}' (choose from: {string.Join(", ", Scenarios)})");
        if (!TryParseDuration(parse.GetRequiredValue(DurationOption), out var duration))
            return Cli.Fail(ExitCodes.Usage, $"bad duration '{parse.GetValue(DurationOption)}': write e.g. 10s, 500ms or 2.5");
        if (!TryParseDuration(parse.GetRequiredValue(IntervalOption), out var interval))
            return Cli.Fail(ExitCodes.Usage, $"bad interval '{parse.GetValue(IntervalOption)}': write e.g. 100ms, 1s or 0.5");

        IPEndPoint? target = null;
        if (parse.GetValue(TargetOption) is { } text && !IPEndPoint.TryParse(text, out target))
            return Cli.Fail(ExitCodes.Usage, $"bad target '{text}': write IP:PORT");

        var engines = new List<string>();
        string list = parse.GetRequiredValue(EnginesOption);
        // 'all' takes the Kestrel peer along when it is built (in a source tree), and goes without it otherwise.
        var names = list == "all"
            ? EngineCatalog.All.Where(e => e.Support.IsSupported).Select(e => e.Name).Concat(KestrelPeer.Locate() is null ? [] : [KestrelPeer.Name])
            : list.Split(',').Select(n => n.Trim());
        foreach (string name in names)
        {
            if (name == KestrelPeer.Name)
            {
                if (KestrelPeer.Locate() is null)
                    return Cli.Fail(ExitCodes.Failure, "the Kestrel reference peer is not built: run 'dotnet build -c Release bench/Switchboard.KestrelEcho'");
                engines.Add(name);
            }
            else if (EngineCatalog.TryGet(name, out var engine))
            {
                engines.Add(engine.Name);
            }
            else
            {
                return Cli.Fail(ExitCodes.Usage, $"unknown engine '{name}' (choose from: {string.Join(", ", EngineCatalog.All.Select(e => e.Name))}, {KestrelPeer.Name})");
            }
        }

        var settings = new BenchSettings
        {
            Scenario = scenario,
            Engines = engines,
            Target = target,
            OutDirectory = parse.GetValue(OutOption),
            Clients = Math.Max(1, parse.GetValue(ClientsOption)),
            Senders = Math.Max(1, parse.GetValue(SendersOption)),
            InFlight = scenario == "latency" ? 1 : Math.Max(1, parse.GetValue(InFlightOption)),
            Size = Math.Max(1, parse.GetValue(SizeOption)),
            Duration = duration,
            Connections = Math.Max(1, parse.GetValue(ConnectionsOption)),
            TickInterval = interval,
            Pin = !parse.GetValue(NoPinOption),
        };
        var console = AnsiConsole.Console;
        if (Console.IsOutputRedirected)
            console.Profile.Width = 160; // a file or pipe has no width; keep the table's columns readable
        await new BenchRunner(settings, ThisProgram.StartInfo, console).RunAsync().ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        double scale = 1;
        if (text.EndsWith("ms", StringComparison.Ordinal))
            (text, scale) = (text[..^2], 0.001);
        else if (text.EndsWith('s'))
            text = text[..^1];
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value > 0))
            return false;
        duration = TimeSpan.FromSeconds(value * scale);
        return true;
    }
}
