using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Switchboard.Diagnostics;
using Switchboard.Engines.Forking;
using Switchboard.Hosting;

namespace Switchboard.Engines;

/// <summary>
/// A process per connection (socketserver's <c>ForkingMixIn</c>), done the way production forking
/// servers do it, since .NET cannot <c>fork()</c> a running runtime: a prefork pool of worker
/// processes (Apache prefork). In the parent the engine is the pool (<see cref="Hosting"/>); in
/// each worker it is the blocking accept loop of <see cref="IterativeEngine"/>, taking turns with
/// the other workers on the inherited listening socket and serving one connection at a time. A
/// worker that crashes takes down only its own connection. The program must call
/// <see cref="Prefork.InitializeWorker"/> first thing in <c>Main</c>.
/// </summary>
/// <remarks>
/// <see cref="ServerOptions.MaxConnections"/> caps the workers (each serves one connection): a
/// connection over it waits in the backlog for a worker to come free, and is told the server is
/// full, as on other engines, once every worker has been busy for a second.
/// State shared between connections lives in the parent, reached over the channel of
/// <see cref="Server.WorkerMessageHandler"/> and <see cref="Prefork.Parent"/>.
/// </remarks>
public sealed class ForkingEngine : Engine
{
    /// <inheritdoc />
    public override string Name => "forking";

    /// <inheritdoc />
    public override string Summary => "a worker process per connection, from a prefork pool (--workers MIN..MAX)";

    private static readonly EngineSetting WorkersSetting =
        new("workers", "min..max", "idle workers kept ready and the most workers (so connections served at once); more wait in the backlog, refused once all have been busy for 1 s", "2..32");

    private static readonly EngineSetting ConnectionsPerWorkerSetting =
        new("connections-per-worker", "n", "replace a worker after it has served this many connections; 0 never", "0");

    /// <summary>Idle workers kept ready to take a connection. Default: 2.</summary>
    public int MinSpareWorkers { get; init; } = 2;

    /// <summary>Workers at most, so connections served at once; more wait in the backlog, and are refused once all have been busy for a second. Default: 32.</summary>
    public int MaxWorkers { get; init; } = 32;

    /// <summary>Connections a worker serves before it is replaced by a fresh one; 0 (the default) never recycles.</summary>
    public int ConnectionsPerWorker { get; init; }

    /// <summary>
    /// How a worker is started. By default, this program again with the arguments it was started
    /// with (<see cref="ThisProgram.SameArguments"/>), which suits a program that decides what to
    /// serve from its arguments, as <c>switchboard serve</c> does. A worker must call
    /// <see cref="Prefork.InitializeWorker"/> first and then start a <see cref="Server"/> on a
    /// forking engine with the same settings as the parent's.
    /// </summary>
    public Func<ProcessStartInfo> WorkerProgram { get; init; } = ThisProgram.SameArguments;

    /// <inheritdoc />
    public override IReadOnlyList<EngineSetting> Settings { get; } = [WorkersSetting, ConnectionsPerWorkerSetting];

    /// <inheritdoc />
    public override Engine WithSettings(IReadOnlyDictionary<string, string> values)
    {
        var (min, max) = EngineSettingValues.Range(values, WorkersSetting, (MinSpareWorkers, MaxWorkers));
        return new ForkingEngine
        {
            WorkerProgram = WorkerProgram,
            MinSpareWorkers = min,
            MaxWorkers = max,
            ConnectionsPerWorker = EngineSettingValues.Count(values, ConnectionsPerWorkerSetting, ConnectionsPerWorker),
        };
    }

    /// <inheritdoc />
    public override EngineSupport Support =>
        OperatingSystem.IsLinux()
            ? EngineSupport.Supported
            : EngineSupport.Unsupported("workers inherit descriptors through Linux's fcntl and prctl; this is not Linux");

    /// <inheritdoc />
    public override void Validate()
    {
        if (MinSpareWorkers < 1)
            throw new ArgumentException($"spare workers must be at least 1 (got {MinSpareWorkers})");
        if (MaxWorkers < MinSpareWorkers)
            throw new ArgumentException($"the most workers ({MaxWorkers}) must be at least the spare workers ({MinSpareWorkers})");
        if (ConnectionsPerWorker < 0)
            throw new ArgumentException($"connections per worker must not be negative (got {ConnectionsPerWorker})");
    }

    /// <inheritdoc />
    /// <remarks>False: workers accept on their own, each seeing only its own connection, and the parent sees no socket.</remarks>
    public override bool CanLimitPerAddress => false;

    /// <inheritdoc />
    /// <remarks>In a worker, only the server of the listener it was started for (<see cref="ServerOptions.ListenerName"/>).</remarks>
    internal override bool ServesHere(ServerOptions options) => Prefork.ListenerName is not { } name || name == options.ListenerName;

    /// <summary>A worker numbers its connections from its process id × 2³² + 1: unique across the pool.</summary>
    internal override long ConnectionIdBase => Prefork.IsWorker ? (long)Environment.ProcessId << 32 : 0;

    internal override Socket OpenListener(ServerOptions options) =>
        Prefork.Inherited is { } worker
            ? new Socket(worker.Listener)
            : base.OpenListener(options);

    internal override IListenerService CreateListenerService(ServerRuntime runtime) =>
        Prefork.Parent is { } parent
            ? new WorkerAcceptor(runtime, parent, ConnectionsPerWorker)
            : new PreforkService(PoolSettings(runtime.Options, runtime.Logger, runtime.WorkerMessageHandler?.Invoke(), runtime.Refuse, runtime.Metrics));

    /// <summary>What the parent's pool is told: this engine's settings, and the options every engine honours.</summary>
    internal PreforkPoolSettings PoolSettings(ServerOptions options, ILogger logger, IWorkerMessageHandler? messageHandler, Action<Socket, Refusal>? refuse = null, ServerMetrics? metrics = null) => new()
    {
        MinSpare = MinSpareWorkers,
        // A worker serves one connection at a time, so the connection limit is a limit on
        // workers; as beyond MaxWorkers, a connection over it waits in the backlog, and is
        // refused as on other engines once every worker has been busy for a moment.
        Max = Math.Min(MaxWorkers, options.MaxConnections),
        RefuseWhenFull = refuse is null ? null : (socket, workers) => refuse(socket, new Refusal(RefusalKind.ServerFull, $"server full ({Counted.Of(workers, "connection")})")),
        IdleTimeout = options.IdleTimeout,
        ShutdownTimeout = options.ShutdownTimeout,
        WorkerProgram = WorkerProgram,
        ListenerName = options.ListenerName,
        MessageHandler = messageHandler,
        Metrics = metrics,
        Logger = logger,
    };
}
