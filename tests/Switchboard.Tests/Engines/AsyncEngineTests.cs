namespace Switchboard.Tests.Engines;

public sealed class AsyncEngineTests : ConcurrentEngineConformanceTests
{
    protected override string EngineName => "async";
}
