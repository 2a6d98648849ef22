namespace Switchboard.Tests.Engines;

public sealed class EpollEngineTests : ConcurrentEngineConformanceTests
{
    protected override string EngineName => "epoll";
}
