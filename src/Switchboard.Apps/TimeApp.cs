using Switchboard.Protocols;

namespace Switchboard.Apps;

/// <summary>The seed's delay server: sends the time now and every <see cref="AppSettings.Interval"/>.</summary>
public sealed class TimeApp : App
{
    /// <summary>The seed's port.</summary>
    public const int SeedPort = 51423;

    /// <inheritdoc />
    public override string Name => "time";

    /// <inheritdoc />
    public override string Summary => "the seed's delay server: sends the time now and then every --interval";

    /// <inheritdoc />
    public override int DefaultPort => SeedPort;

    /// <summary>64: a connection here shares nothing, so one address can only spend its own share; the cap keeps one address from holding all of <c>--max-connections</c>.</summary>
    public override int DefaultMaxConnectionsPerAddress => 64;

    /// <summary>Off: a connection here is seen by no one else, so reconnecting often harms no one but costs an accept.</summary>
    public override int DefaultConnectRatePerMinute => 0;

    /// <inheritdoc />
    public override Func<Protocol> CreateProtocolFactory(ServeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var source = new TimeSource(context.Settings.Interval, context.Settings.Utc, context.Clock);
        return source.CreateProtocol;
    }
}
