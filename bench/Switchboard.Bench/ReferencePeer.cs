using System.Diagnostics;

namespace Switchboard.Bench;

/// <summary>
/// A server that is not Switchboard's, run in the same way and the same run as the engines so they
/// are measured against it: a server of one of the bench's apps (<see cref="Scenarios"/> says
/// which it runs) that prints <c>listening on IP:PORT</c> when ready and stops on SIGTERM. Each
/// peer is named in <c>--engines</c>, may be given with an option of its own (<see cref="Option"/>),
/// and is otherwise looked for in the source tree, above the working directory (the clone the user
/// is in) and then above the bench (a bench run from its tree).
/// </summary>
internal abstract class ReferencePeer
{
    /// <summary>Every peer, in the order 'all' adds them after our engines.</summary>
    public static IReadOnlyList<ReferencePeer> All { get; } = [new KestrelPeer(), new CEpollPeer(), new TwistedPeer()];

    /// <summary>The peer named <paramref name="name"/> in <c>--engines</c>, or null.</summary>
    public static ReferencePeer? Named(string name) => All.FirstOrDefault(p => p.Name == name);

    /// <summary>The name to list in <c>--engines</c>.</summary>
    public abstract string Name { get; }

    /// <summary>What messages call it, e.g. "the Kestrel peer".</summary>
    public abstract string Title { get; }

    /// <summary>What it is, e.g. "an echo server".</summary>
    public abstract string Kind { get; }

    /// <summary>The scenarios it runs, in the order the refusals list them.</summary>
    public abstract IReadOnlyList<string> Scenarios { get; }

    /// <summary>The option that gives it, e.g. <c>--kestrel</c>.</summary>
    public abstract string Option { get; }

    /// <summary>Whether it can speak TLS with the bench's certificate (<c>--tls</c>).</summary>
    public abstract bool SpeaksTls { get; }

    /// <summary>What <see cref="Option"/> <paramref name="given"/> names, or null if it names nothing usable.</summary>
    public abstract string? LocateGiven(string given);

    /// <summary>Why <paramref name="given"/> is not the peer, and what to give instead.</summary>
    public abstract string NotThere(string given);

    /// <summary>
    /// The peer found in the source tree: above the working directory, then above the bench's own
    /// folder; null if neither has it.
    /// </summary>
    public string? Locate() => SourceTree.Find(InTree);

    /// <summary>Why it is not found, and how to get it: one sentence, without a subject.</summary>
    public abstract string NotFound { get; }

    /// <summary>Why <paramref name="located"/> (from <see cref="Locate"/> or <see cref="LocateGiven"/>) cannot run here; null if it can.</summary>
    public virtual string? CannotRun(string located) => null;

    /// <summary>
    /// The program to run from <paramref name="located"/>, made ready (the C peer is compiled here);
    /// throws <see cref="BenchException"/> with a one-line reason if it cannot be.
    /// </summary>
    public virtual string Prepare(string located) => located;

    /// <summary>Runs the prepared peer on a free port; with <paramref name="tls"/>, behind TLS with the bench's certificate.</summary>
    public abstract ProcessStartInfo StartInfo(string path, BenchTls? tls);

    /// <summary>The peer in the source tree under <paramref name="root"/> (a clone's root), or null.</summary>
    protected abstract string? InTree(string root);

    /// <summary>
    /// The one-line refusal when this peer is asked for in a run it cannot be part of, or null if
    /// it can: a scenario not among its <see cref="Scenarios"/>, <c>--metrics</c>
    /// (<paramref name="metricsFlag"/> as typed), or <c>--tls</c> without TLS of its own.
    /// </summary>
    public string? Refusal(string scenario, string? metricsFlag, bool tls)
    {
        if (!Scenarios.Contains(scenario))
            return $"{Title} is {Kind}: it runs {Listed(Scenarios)}, not {scenario}";
        if (metricsFlag is not null)
            return $"{Title} has no metrics endpoint: leave it out with {metricsFlag}";
        if (tls && !SpeaksTls)
            return $"{Title} has no TLS: leave it out with --tls";
        return null;
    }

    /// <summary>The scenarios of an echo server: those whose load is echoed bytes.</summary>
    protected static IReadOnlyList<string> EchoScenarios { get; } = ["echo", "latency", "connections", "churn"];

    /// <summary>"a", "a and b", "a, b and c".</summary>
    private static string Listed(IReadOnlyList<string> items) =>
        items.Count == 1 ? items[0] : $"{string.Join(", ", items.Take(items.Count - 1))} and {items[^1]}";
}
