namespace Switchboard.Tests.Engines;

public sealed class UringEngineTests : ConcurrentEngineConformanceTests
{
    protected override string EngineName => "uring";
}
