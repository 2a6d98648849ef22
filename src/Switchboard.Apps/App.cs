using Switchboard.Engines;
using Switchboard.Hosting;
using Switchboard.Protocols;

namespace Switchboard.Apps;

/// <summary>
/// An app <c>switchboard serve</c> can run: a name, a default port, and a way to make a
/// connection's <see cref="Protocol"/> from an <see cref="ServeContext"/>. Every app runs on every
/// engine; what its connections share (a chat's rooms) it makes from the context, in this process
/// or, in a forking server's worker, over the channel to the parent.
/// </summary>
public abstract class App
{
    /// <summary>The port every app but <c>time</c> listens on by default.</summary>
    public const int StandardPort = 1234;

    /// <summary>The name users pick it by, e.g. "chat".</summary>
    public abstract string Name { get; }

    /// <summary>One line on what it does.</summary>
    public abstract string Summary { get; }

    /// <summary>The port it listens on unless told otherwise.</summary>
    public virtual int DefaultPort => StandardPort;

    /// <summary>The longest line it accepts unless told otherwise (<see cref="ServerOptions.MaxLineLength"/>).</summary>
    public virtual int DefaultMaxLineLength => Defaults.MaxLineLength;

    /// <summary>
    /// Connections one address may have open at once unless told otherwise
    /// (<see cref="ServerOptions.MaxConnectionsPerAddress"/>; 0 is off). By default 16, for an app
    /// people talk through, where one address holding many connections crowds out everyone
    /// else (chat); apps whose connections share nothing relax it.
    /// </summary>
    public virtual int DefaultMaxConnectionsPerAddress => 16;

    /// <summary>
    /// New connections one address may open a minute unless told otherwise
    /// (<see cref="ServerOptions.ConnectRatePerMinute"/>; 0 is off). By default 30, for an app
    /// whose every arrival and departure others see (chat's join and leave notices); apps
    /// whose connections share nothing turn it off.
    /// </summary>
    public virtual int DefaultConnectRatePerMinute => 30;

    /// <summary>
    /// Makes the factory of the protocols for one server. Called once per process that serves
    /// connections; the factory is called once per connection, concurrently on some engines.
    /// </summary>
    /// <param name="context">The server's options, the app's settings, logging, the clock, and the channel to a prefork parent.</param>
    public abstract Func<Protocol> CreateProtocolFactory(ServeContext context);

    /// <summary>
    /// In a prefork server's parent, makes the home of what the workers' connections share, or
    /// null if they share nothing (the default). Called only there: the workers reach it through
    /// <see cref="ServeContext.Parent"/>.
    /// </summary>
    /// <param name="context">As for <see cref="CreateProtocolFactory"/>.</param>
    public virtual IWorkerMessageHandler? CreateWorkerMessageHandler(ServeContext context) => null;

    /// <summary>
    /// Makes a server for this app: its protocols, the shared state a prefork parent keeps, and
    /// a hold on what the app made for it (<see cref="ServeContext.Resources"/>), let go when it stops.
    /// </summary>
    /// <param name="engine">How connections get CPU time.</param>
    /// <param name="context">The server's options and the app's settings.</param>
    /// <exception cref="ArgumentException">An option, a setting of the engine, or a setting of the app is out of range.</exception>
    public Server CreateServer(Engine engine, ServeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Settings.Validate();
        return new Server(engine, context.Options, CreateProtocolFactory(context), context.LoggerFactory)
        {
            WorkerMessageHandler = () => CreateWorkerMessageHandler(context),
            Shared = context.Resources.Hold(),
        };
    }

    /// <summary>
    /// The settings this app can change while it serves (<see cref="Reconfigure"/>), by the name
    /// of their <c>serve</c> flag without dashes (<c>rate</c>); a change to any other needs a
    /// restart. None by default.
    /// </summary>
    public virtual IReadOnlyCollection<string> LiveSettings => [];

    /// <summary>
    /// Puts the <see cref="LiveSettings"/> of <paramref name="settings"/> in force for the servers
    /// made from <paramref name="context"/>, without dropping a connection (a reload); the others
    /// are ignored. Nothing to do by default.
    /// </summary>
    /// <param name="context">The context the servers were made from.</param>
    /// <param name="settings">The settings read again.</param>
    /// <exception cref="ArgumentException">A setting is out of range (one line, naming it).</exception>
    public virtual void Reconfigure(ServeContext context, AppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private static readonly ServerOptions Defaults = new();
}
