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

    private static readonly Lazy<Engine> DefaultChoice = new(() => DefaultOrder.Select(Get).First(e => e.Support.IsSupported || e.Name == "async"));

    /// <summary>
    /// The engine the CLI uses when none is named: the first of <c>uring</c>, <c>epoll</c> and
    /// <c>async</c> that runs here. All keep the same contract; they are in the order the
    /// benchmark ranks them (docs/benchmarks.md and docs/engines.md, "Which engine when": uring
    /// the cheapest per message, per delivery and per accept where the kernel defers its
    /// completions' work, Linux 6.1 and later, epoll next, about half of async's server CPU per
    /// echoed message). Where io_uring is refused (an old kernel, the
    /// <c>kernel.io_uring_disabled</c> sysctl, a container's seccomp profile),
    /// <see cref="DefaultPassedOver"/> names it, for the CLI to say why. Asked for the first
    /// time, it probes io_uring (sets up a ring): only a program that needs the default should ask.
    /// </summary>
    public static Engine Default => DefaultChoice.Value;

    /// <summary>The engines ranked before <see cref="Default"/>, which do not run here (their <see cref="Engine.Support"/> says why); empty when the default is the first choice.</summary>
    public static IReadOnlyList<Engine> DefaultPassedOver => DefaultOrder.Select(Get).TakeWhile(e => e != Default).ToArray();

    private static string[] DefaultOrder => ["uring", "epoll", "async"];

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
