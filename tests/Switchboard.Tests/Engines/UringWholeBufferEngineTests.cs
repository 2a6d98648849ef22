using System.Net;
using Microsoft.Extensions.Logging;
using Switchboard.Apps;
using Switchboard.Engines;
using Switchboard.Engines.Uring;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Engines;

/// <summary>
/// The uring engine with whole receive buffers, one per completion: what it does on kernels
/// before 6.12, which have no incremental buffers (IOU_PBUF_RING_INC). This kernel has them, so
/// without this the path would go untested here.
/// </summary>
public sealed class UringWholeBufferEngineTests : ConcurrentEngineConformanceTests
{
    protected override string EngineName => "uring";

    protected override Engine Engine => new UringEngine { WholeReceiveBuffers = true };

    [Fact]
    public async Task Its_loops_say_they_receive_into_whole_buffers()
    {
        var said = new EventLog<string>();
        using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(new Recording(said)));
        await using var server = new Server(new UringEngine { Loops = 1, WholeReceiveBuffers = true }, new ServerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) }, () => new EchoProtocol(), loggers);
        server.Start();

        await said.WaitUntilAsync(lines => lines.Any(l => l.EndsWith("receive buffers: 128 of 4096 bytes, consumed whole, one per receive", StringComparison.Ordinal)), Timeouts.Quick, "the loop's buffers");
    }

    private sealed class Recording(EventLog<string> said) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            said.Add(formatter(state, exception));

        public void Dispose()
        {
        }
    }
}
