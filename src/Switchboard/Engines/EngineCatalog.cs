using System.Diagnostics.CodeAnalysis;

namespace Switchboard.Engines;

/// <summary>Every engine Switchboard has, by name, each with its default settings.</summary>
public static class EngineCatalog
{
    /// <summary>All engines, in the order <c>switchboard engines</c> lists them.</summary>
    public static IReadOnlyList<Engine> All { get; } =
    [
        new IterativeEngine(),
        new ThreadingEngine(),
        new ForkingEngine(),
        new AsyncEngine(),
        new SelectEngine(),
        new PollEngine(),
        new EpollEngine(),
        new UringEngine(),
    ];

    /// <summary>
    /// The engine the CLI uses when none is named: <c>epoll</c> where it runs (Linux), <c>async</c>
    /// elsewhere. Both keep the same contract; epoll is chosen because the benchmark measures it
    /// the cheapest engine here (docs/benchmarks.md: about half of async's server CPU per echoed
    /// message, and less per chat delivery).
    /// </summary>
    public static Engine Default { get; } = Get("epoll") is { Support.IsSupported: true } epoll ? epoll : Get("async");

    /// <summary>Finds an engine by name (case-insensitive).</summary>
    /// <param name="name">The engine's name.</param>
    /// <param name="engine">The engine, when found.</param>
    public static bool TryGet(string name, [NotNullWhen(true)] out Engine? engine)
    {
        engine = All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));
        return engine is not null;
    }

    /// <summary>Finds an engine by name, or throws <see cref="ArgumentException"/> listing the known ones.</summary>
    /// <param name="name">The engine's name.</param>
    /// <exception cref="ArgumentException">No engine has that name.</exception>
    public static Engine Get(string name) =>
        TryGet(name, out var engine)
            ? engine
            : throw new ArgumentException($"unknown engine '{name}' (choose from: {string.Join(", ", All.Select(e => e.Name))})", nameof(name));
}
