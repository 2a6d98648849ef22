using Switchboard.Protocols;

namespace Switchboard.Apps;

/// <summary>Sends back every byte it receives.</summary>
public sealed class EchoApp : App
{
    /// <inheritdoc />
    public override string Name => "echo";

    /// <inheritdoc />
    public override string Summary => "sends back every byte it receives";

    /// <summary>64: a connection here shares nothing, so one address can only spend its own share; the cap keeps one address from holding all of <c>--max-connections</c>.</summary>
    public override int DefaultMaxConnectionsPerAddress => 64;

    /// <summary>Off: a connection here is seen by no one else, so reconnecting often harms no one but costs an accept.</summary>
    public override int DefaultConnectRatePerMinute => 0;

    /// <inheritdoc />
    public override Func<Protocol> CreateProtocolFactory(ServeContext context) => static () => new EchoProtocol();
}
