using Switchboard.Engines;

namespace Switchboard.Tests.Support;

/// <summary>
/// Engines the in-process tests can drive. Not <c>forking</c>: its workers are the program
/// started again, so a protocol defined in a test cannot run in them; the forking engine is
/// tested through the real executable instead (Cli/ForkingEngineTests).
/// </summary>
public static class TestEngines
{
    public static IEnumerable<Engine> InProcess => EngineCatalog.All.Where(e => e.Name != "forking");
}
