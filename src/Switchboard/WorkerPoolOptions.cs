namespace Switchboard;

/// <summary>The forking engine's pool (Apache prefork style): spare workers, a ceiling, and recycling.</summary>
public sealed record WorkerPoolOptions
{
    /// <summary>Idle workers kept ready to take a connection. Default: 2.</summary>
    public int MinSpare { get; init; } = 2;

    /// <summary>Workers at most, so connections served at once; more wait their turn in the backlog. Default: 32.</summary>
    public int Max { get; init; } = 32;

    /// <summary>Connections a worker serves before it is replaced by a fresh one; 0 (the default) never recycles.</summary>
    public int ConnectionsPerWorker { get; init; }

    /// <summary>
    /// The parent's end of the shared-state channel: what workers send with
    /// <see cref="Engines.Forking.ParentLink.Send"/> arrives here. None by default.
    /// </summary>
    public Engines.Forking.IWorkerMessageHandler? MessageHandler { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        if (MinSpare < 1)
            throw new ArgumentException($"spare workers must be at least 1 (got {MinSpare})");
        if (Max < MinSpare)
            throw new ArgumentException($"the most workers ({Max}) must be at least the spare workers ({MinSpare})");
        if (ConnectionsPerWorker < 0)
            throw new ArgumentException($"connections per worker must not be negative (got {ConnectionsPerWorker})");
    }
}
