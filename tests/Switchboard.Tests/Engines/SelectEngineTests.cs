namespace Switchboard.Tests.Engines;

public sealed class SelectEngineTests : ConcurrentEngineConformanceTests
{
    protected override string EngineName => "select";
}
