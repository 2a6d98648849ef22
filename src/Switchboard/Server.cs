using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Engines;
using Switchboard.Hosting;
using Switchboard.Protocols;

namespace Switchboard;

/// <summary>
/// A TCP server: listens on <see cref="ServerOptions.EndPoint"/> and serves every connection with
/// a fresh <see cref="Protocol"/> from the factory, on the chosen <see cref="Engine"/>.
/// </summary>
/// <example>
/// <code>
/// await using var server = new Server(new EpollEngine { Loops = 2 }, new ServerOptions(), () => new MyProtocol());
/// server.Start();
/// Console.WriteLine($"listening on {server.LocalEndPoint}");
/// </code>
/// </example>
public sealed class Server : IAsyncDisposable
{
    // How long past the shutdown timeout a stop waits for the engine to let go of the listener.
    private static readonly TimeSpan StopMargin = TimeSpan.FromSeconds(10);

    private readonly ServerRuntime _runtime;
    private readonly Lock _lock = new();
    private Socket? _listener;
    private IPEndPoint? _localEndPoint;
    private IListenerService? _listenerService;
    private Task? _stopTask;

    /// <summary>Creates a server; nothing happens until <see cref="Start()"/>.</summary>
    /// <param name="engine">How connections get CPU time.</param>
    /// <param name="options">Endpoint and limits; validated here.</param>
    /// <param name="protocolFactory">Makes one protocol per connection. Called concurrently on some engines.</param>
    /// <param name="loggerFactory">Where connection logs go; none by default.</param>
    /// <exception cref="ArgumentException">An option, or a setting of the engine, is out of range.</exception>
    public Server(Engine engine, ServerOptions options, Func<Protocol> protocolFactory, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(protocolFactory);
        options.Validate();
        engine.Validate();
        if (!engine.CanLimitPerAddress && AddressLimiter.IsEnabled(options))
            throw new ArgumentException($"--max-connections-per-ip and --connect-rate are not available on {engine.Name}: its workers accept connections apart (set both to 0)");
        Engine = engine;
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Switchboard.Server");
        _runtime = new ServerRuntime(options, protocolFactory, logger, engine.ConnectionIdBase, engine.Name);
    }

    /// <summary>The engine serving connections.</summary>
    public Engine Engine { get; }

    /// <summary>The options in force: those the server was created with, or the last <see cref="Reconfigure"/>'s.</summary>
    public ServerOptions Options => _runtime.Options;

    /// <summary>
    /// Puts new limits in force without dropping a connection (a reload): the connection limit,
    /// output limits, line length, idle timeout, per-address limits and shutdown timeout. Each
    /// applies from the next time it is looked at: the next connection admitted, the next send,
    /// the next line, a connection's next idle check (an idle timeout turned on applies to
    /// connections that arrive after). Where and how the server listens cannot change here. On
    /// forking, each worker serves with the options it was started with: every worker is asked
    /// to retire once the connection it serves ends, and fresh workers take their places, so the
    /// new options apply to connections that start after the call (no connection is dropped); the
    /// pool keeps its cap on workers, and follows the new idle and shutdown timeouts. A worker is
    /// started by <see cref="ForkingEngine.WorkerProgram"/>, which must give it the new options.
    /// </summary>
    /// <param name="options">The options to put in force.</param>
    /// <exception cref="ArgumentException">
    /// An option is out of range, the engine cannot keep a limit asked for, or an option that needs a
    /// restart differs (<see cref="ServerOptions.EndPoint"/>, <see cref="ServerOptions.Backlog"/>,
    /// <see cref="ServerOptions.ListenerName"/>).
    /// </exception>
    public void Reconfigure(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var current = Options;
        if (!Equals(options.EndPoint, current.EndPoint))
            throw new ArgumentException($"the address to listen on ({options.EndPoint}) changes only with a restart");
        if (options.Backlog != current.Backlog)
            throw new ArgumentException("the backlog changes only with a restart");
        if (options.ListenerName != current.ListenerName)
            throw new ArgumentException("the listener's name changes only with a restart");
        if (!ReferenceEquals(options.Tls, current.Tls))
            throw new ArgumentException(current.Tls is null || options.Tls is null
                ? "TLS turns on or off only with a restart"
                : "a new certificate is put in force with the running one's ServerCertificate.ReplaceWith, not by replacing the object");
        if (!Engine.CanLimitPerAddress && AddressLimiter.IsEnabled(options))
            throw new ArgumentException($"--max-connections-per-ip and --connect-rate are not available on {Engine.Name}: its workers accept connections apart (set both to 0)");
        _runtime.Reconfigure(options);
        _listenerService?.OnReconfigured(options);
    }

    /// <summary>
    /// Makes the parent's end of the shared-state channel, for an engine that serves connections
    /// in worker processes (forking): called once, in the parent, when the server starts; workers
    /// reach it through <see cref="Prefork.Parent"/>. Engines that serve in one process never
    /// call it: their protocols share memory. None by default.
    /// </summary>
    public Func<IWorkerMessageHandler?>? WorkerMessageHandler { get; init; }

    /// <summary>
    /// What the server's protocols share that lives beyond any one connection (a chat's
    /// connection to its Redis backplane): disposed once the server has stopped, after every
    /// connection has closed. None by default.
    /// </summary>
    public IAsyncDisposable? Shared { get; init; }

    /// <summary>The address and port actually listened on (the real port when 0 was asked for).</summary>
    /// <exception cref="InvalidOperationException">The server has not started.</exception>
    public IPEndPoint LocalEndPoint =>
        _localEndPoint ?? throw new InvalidOperationException("The server has not started.");

    /// <summary>Connections being served now in this process (on forking, the parent's is 0: its workers serve them).</summary>
    public int ConnectionCount => _runtime.ConnectionCount;

    /// <summary>
    /// False in a process that serves only another of the program's servers: a forking server's
    /// worker, started for one listener of its parent's (<see cref="ServerOptions.ListenerName"/>).
    /// A program that makes several servers starts, waits on and stops only those served here.
    /// </summary>
    public bool IsServedHere => Engine.ServesHere(Options);

    /// <summary>
    /// Completes when the server has stopped accepting: after <see cref="StopAsync"/>, or on its
    /// own when the engine says so (a forking worker that has served its quota of connections).
    /// </summary>
    /// <exception cref="InvalidOperationException">The server has not started.</exception>
    public Task AcceptingEnded => _listenerService?.Stopped ?? throw new InvalidOperationException("The server has not started.");

    /// <summary>Binds, listens and starts accepting. Returns once the port is open.</summary>
    /// <exception cref="ServerStartException">The engine cannot run here, or the endpoint cannot be bound.</exception>
    /// <exception cref="InvalidOperationException">The server was already started.</exception>
    public void Start() => StartCore(null);

    /// <summary>
    /// Starts accepting on <paramref name="listener"/>, a socket already bound and listening
    /// (one passed by systemd: <see cref="SocketActivation"/>), instead of binding
    /// <see cref="ServerOptions.EndPoint"/>. The server owns it from then on: it closes it when it
    /// stops, or if it cannot start.
    /// </summary>
    /// <param name="listener">A listening TCP socket.</param>
    /// <exception cref="ServerStartException">The engine cannot run here, or <paramref name="listener"/> is not a listening TCP socket.</exception>
    /// <exception cref="InvalidOperationException">The server was already started.</exception>
    public void Start(Socket listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        StartCore(listener);
    }

    private void StartCore(Socket? adopted)
    {
        lock (_lock)
        {
            if (_listener is not null || _stopTask is not null)
                throw new InvalidOperationException("A server starts once.");
            if (!IsServedHere)
                throw new InvalidOperationException($"This process serves another listener than '{Options.ListenerName}' (see IsServedHere).");
            if (!Engine.Support.IsSupported)
                throw new ServerStartException($"engine '{Engine.Name}' cannot run here: {Engine.Support.Reason}");
            Socket listener;
            try
            {
                listener = adopted is null ? Engine.OpenListener(Options) : Listeners.Adopt(adopted);
            }
            catch when (adopted is not null)
            {
                adopted.Dispose();
                throw;
            }

            try
            {
                _runtime.Metrics.Listening(((IPEndPoint)listener.LocalEndPoint!).Port); // before the first connection
                _runtime.WorkerMessageHandler = WorkerMessageHandler;
                _listenerService = Engine.CreateListenerService(_runtime);
                _listenerService.Start(listener);
            }
            catch
            {
                // Not started: give the port back, so that a caller may try again.
                _runtime.Metrics.Dispose(); // and report nothing of it
                _listenerService?.Dispose();
                _listenerService = null;
                listener.Dispose();
                throw;
            }

            _listener = listener;
            _localEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        }
    }

    /// <summary>
    /// Graceful shutdown: stops accepting, lets every protocol say goodbye
    /// (<see cref="Protocol.OnShutdown"/>), flushes, and closes; connections still open after
    /// <see cref="ServerOptions.ShutdownTimeout"/> are closed regardless. Safe to call more than once.
    /// </summary>
    public Task StopAsync()
    {
        lock (_lock)
            return _stopTask ??= StopCoreAsync();
    }

    /// <summary>Stops the server (see <see cref="StopAsync"/>).</summary>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task StopCoreAsync()
    {
        _runtime.BeginStopping(); // first: the acceptor's errors from closing the listener are expected
        _listenerService?.StopAccepting();
        await _runtime.ShutdownConnectionsAsync().ConfigureAwait(false);
        if (_listenerService is not null)
        {
            try
            {
                // An accept loop ends at once; a prefork pool gives its workers the shutdown
                // timeout, then a second, then kills those left and waits 5 s for them: its own
                // deadlines bound it, this one only guards against a bug.
                await _listenerService.Stopped.WaitAsync(Options.ShutdownTimeout + StopMargin).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Stop regardless: what is left ends with the process.
            }

            _listenerService.Dispose();
        }

        _runtime.Dispose();
        if (Shared is { } shared)
            await shared.DisposeAsync().ConfigureAwait(false);
    }
}
