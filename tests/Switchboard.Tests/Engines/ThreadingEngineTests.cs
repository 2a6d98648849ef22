namespace Switchboard.Tests.Engines;

public sealed class ThreadingEngineTests : ConcurrentEngineConformanceTests
{
    protected override string EngineName => "threading";
}
