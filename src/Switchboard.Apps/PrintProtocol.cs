using Microsoft.Extensions.Logging;
using Switchboard.Protocols;

namespace Switchboard.Apps;

/// <summary>The seed's select server: logs each line a client sends, with the client's address.</summary>
/// <param name="logger">Where the lines go.</param>
public sealed partial class PrintProtocol(ILogger logger) : LineProtocol
{
    /// <inheritdoc />
    protected override void OnLineReceived(string line) => LogLine(logger, Connection.RemoteEndPoint, line);

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "{Remote}: {Line}")]
    private static partial void LogLine(ILogger logger, System.Net.EndPoint remote, string line);
}
