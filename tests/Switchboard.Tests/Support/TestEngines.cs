using Switchboard.Engines;

namespace Switchboard.Tests.Support;

/// <summary>
/// Engines whose connections are served in the test process, so that a test may hand the server
/// any protocol (a closure, a probe). Not <c>forking</c>: its workers are other processes; it runs
/// the conformance suite through its own server builder (Engines/ForkingConformanceTests), and
/// what is forking's alone through the real executable (Cli/Forking*Tests).
/// </summary>
public static class TestEngines
{
    public static IEnumerable<Engine> InProcess => EngineCatalog.All.Where(e => e is not ForkingEngine);
}
