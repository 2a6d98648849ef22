using System.Net;
using Microsoft.Extensions.Logging;

namespace Switchboard.Engines;

internal abstract partial class ConnectionBase
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Got connection from {Remote}")]
        public static partial void Connected(ILogger logger, EndPoint remote);

        [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "{Remote} disconnected ({Reason})")]
        public static partial void Disconnected(ILogger logger, EndPoint remote, string reason);

        [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "{Remote} disconnected ({Reason}: {Error})")]
        public static partial void DisconnectedWithError(ILogger logger, EndPoint remote, string reason, string error);

        [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "{Remote} reads too slowly: {Pending} bytes would be pending, over the limit of {Limit}")]
        public static partial void SlowConsumer(ILogger logger, EndPoint remote, long pending, long limit);

        [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "{Remote} reads too slowly: {Pending} bytes pending, over the soft limit of {Limit} for {Seconds} s")]
        public static partial void SlowConsumerSoft(ILogger logger, EndPoint remote, long pending, long limit, double seconds);

        [LoggerMessage(EventId = 305, Level = LogLevel.Warning, Message = "{Remote} did not read its last {Pending} bytes within {Seconds} s; closing anyway")]
        public static partial void FlushTimedOut(ILogger logger, EndPoint remote, long pending, double seconds);

        [LoggerMessage(EventId = 306, Level = LogLevel.Error, Message = "{Remote}: the protocol threw; closing the connection")]
        public static partial void ProtocolFault(ILogger logger, EndPoint remote, Exception exception);
    }
}
