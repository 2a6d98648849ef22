namespace Switchboard.Tests.Engines;

public sealed class PollEngineTests : ConcurrentEngineConformanceTests
{
    protected override string EngineName => "poll";
}
