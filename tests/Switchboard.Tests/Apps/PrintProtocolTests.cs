using Microsoft.Extensions.Logging;
using Switchboard.Apps;
using Switchboard.Testing;

namespace Switchboard.Tests.Apps;

public sealed class PrintProtocolTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(int.MaxValue)]
    public void Logs_each_line_with_the_clients_address(int chunkSize)
    {
        var logger = new RecordingLogger();
        var transport = new StringTransport(new PrintProtocol(logger));

        transport.Receive("hello\r\nworld\n", chunkSize);

        string address = transport.Connection.RemoteEndPoint.ToString()!;
        Assert.Equal([$"{address}: hello", $"{address}: world"], logger.Messages);
        Assert.Empty(transport.TakeSent());
    }

    private sealed class RecordingLogger : ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add(formatter(state, exception));
    }
}
