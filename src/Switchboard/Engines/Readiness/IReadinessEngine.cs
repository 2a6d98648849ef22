namespace Switchboard.Engines.Readiness;

/// <summary>
/// The engines built on <see cref="ReadinessLoop"/> (select, poll, epoll): they differ only in
/// the multiplexer and the number of loops, which the <see cref="ReadinessAcceptor"/> asks them for.
/// </summary>
internal interface IReadinessEngine
{
    /// <summary>The engine's name, for loop threads and errors.</summary>
    string Name { get; }

    /// <summary>A fresh multiplexer for one loop.</summary>
    IMultiplexer CreateMultiplexer();
}
