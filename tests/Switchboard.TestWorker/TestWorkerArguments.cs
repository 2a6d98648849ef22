using System.Globalization;

namespace Switchboard.Tests.Support;

/// <summary>
/// What the conformance suite's forking workers are told on their command line: the protocol,
/// the server's options and the engine's own settings, as <c>PROTOCOL NAME=VALUE …</c>.
/// </summary>
public sealed record TestWorkerArguments(TestProtocol Protocol, ServerOptions Options, int ConnectionsPerWorker)
{
    public IEnumerable<string> Format() =>
    [
        Protocol.ToString(),
        Pair("backlog", Options.Backlog),
        Pair("max-connections", Options.MaxConnections),
        Pair("max-pending", Options.MaxPendingBytes),
        Pair("max-pending-total", Options.MaxPendingTotalBytes),
        Pair("max-pending-soft", Options.MaxPendingSoftBytes),
        Pair("max-pending-soft-ms", (long)Options.MaxPendingSoftTime.TotalMilliseconds),
        Pair("max-line", Options.MaxLineLength),
        Pair("idle-timeout-ms", (long)Options.IdleTimeout.TotalMilliseconds),
        Pair("shutdown-timeout-ms", (long)Options.ShutdownTimeout.TotalMilliseconds),
        Pair("connections-per-worker", ConnectionsPerWorker),
    ];

    public static TestWorkerArguments Parse(IReadOnlyList<string> args)
    {
        var values = args.Skip(1).Select(a => a.Split('=', 2)).ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
        var options = new ServerOptions
        {
            Backlog = (int)values["backlog"],
            MaxConnections = (int)values["max-connections"],
            MaxPendingBytes = values["max-pending"],
            MaxPendingTotalBytes = values["max-pending-total"],
            MaxPendingSoftBytes = values["max-pending-soft"],
            MaxPendingSoftTime = TimeSpan.FromMilliseconds(values["max-pending-soft-ms"]),
            MaxLineLength = (int)values["max-line"],
            IdleTimeout = TimeSpan.FromMilliseconds(values["idle-timeout-ms"]),
            ShutdownTimeout = TimeSpan.FromMilliseconds(values["shutdown-timeout-ms"]),
        };
        return new TestWorkerArguments(Enum.Parse<TestProtocol>(args[0]), options, (int)values["connections-per-worker"]);
    }

    private static string Pair(string name, long value) => string.Create(CultureInfo.InvariantCulture, $"{name}={value}");
}
