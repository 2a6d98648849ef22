using Microsoft.Extensions.Logging;
using Switchboard.Protocols;

namespace Switchboard.Apps;

/// <summary>The seed's select server: logs every line a client sends, with its address.</summary>
public sealed class PrintApp : App
{
    /// <summary>The name of the category its lines are logged under.</summary>
    public const string LogCategory = "Switchboard.Apps.Print";

    /// <inheritdoc />
    public override string Name => "print";

    /// <inheritdoc />
    public override string Summary => "the seed's select server: logs every line a client sends";

    /// <summary>64: a connection here shares nothing, so one address can only spend its own share; the cap keeps one address from holding all of <c>--max-connections</c>.</summary>
    public override int DefaultMaxConnectionsPerAddress => 64;

    /// <summary>Off: a connection here is seen by no one else, so reconnecting often harms no one but costs an accept.</summary>
    public override int DefaultConnectRatePerMinute => 0;

    /// <inheritdoc />
    public override Func<Protocol> CreateProtocolFactory(ServeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var logger = context.LoggerFactory.CreateLogger(LogCategory);
        return () => new PrintProtocol(logger);
    }
}
