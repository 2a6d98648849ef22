using Switchboard.Protocols;

namespace Switchboard.Apps;

/// <summary>Sends back every byte it receives.</summary>
public sealed class EchoApp : App
{
    /// <inheritdoc />
    public override string Name => "echo";

    /// <inheritdoc />
    public override string Summary => "sends back every byte it receives";

    /// <inheritdoc />
    public override Func<Protocol> CreateProtocolFactory(ServeContext context) => static () => new EchoProtocol();
}
