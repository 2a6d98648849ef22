using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Switchboard.Hosting;

/// <summary>What a <see cref="PreforkPool"/> is told by the engine that runs it.</summary>
internal sealed record PreforkPoolSettings
{
    /// <summary>Idle workers kept ready.</summary>
    public required int MinSpare { get; init; }

    /// <summary>Workers at most, so connections served at once (a worker serves one at a time).</summary>
    public required int Max { get; init; }

    /// <summary>How long a connection may stay quiet; a busy worker quiet well past it is killed as hung. Zero: never.</summary>
    public required TimeSpan IdleTimeout { get; init; }

    /// <summary>How long workers get to say goodbye at shutdown before they are killed.</summary>
    public required TimeSpan ShutdownTimeout { get; init; }

    /// <summary>How a worker is started: a program that calls <see cref="Prefork.InitializeWorker"/> and serves.</summary>
    public required Func<ProcessStartInfo> WorkerProgram { get; init; }

    /// <summary>The name of the listener the workers serve (<see cref="ServerOptions.ListenerName"/>), passed to each.</summary>
    public string ListenerName { get; init; } = "";

    /// <summary>The parent's end of the shared-state channel; null when workers share nothing.</summary>
    public IWorkerMessageHandler? MessageHandler { get; init; }

    /// <summary>
    /// Tells a client it cannot be served, all of so many workers being busy, and closes it: used
    /// for clients still waiting once every worker has been busy for <see cref="BacklogGuard.Grace"/>.
    /// Null: such clients wait for a worker however long it takes.
    /// </summary>
    public Action<Socket, int>? RefuseWhenFull { get; init; }

    /// <summary>The server's measurements: the pool's workers, and the connections they report served.</summary>
    public Diagnostics.ServerMetrics? Metrics { get; init; }

    /// <summary>Where the pool logs workers starting, exiting and dying.</summary>
    public required ILogger Logger { get; init; }
}
