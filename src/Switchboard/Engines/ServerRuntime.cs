using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Switchboard.Diagnostics;
using Switchboard.Engines.Timers;
using Switchboard.Hosting;
using Switchboard.Protocols;

namespace Switchboard.Engines;

/// <summary>
/// What every engine shares at run time: admission (ids, the connection limit), the registry of
/// live connections, the timer thread, and graceful shutdown.
/// </summary>
internal sealed partial class ServerRuntime : IConnectionHost, IDisposable
{
    public static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(50);

    // How long connections cut off at the shutdown timeout have to close before shutdown goes on without them.
    private static readonly TimeSpan CutOffMargin = TimeSpan.FromSeconds(5);

    // Descriptors kept free for the runtime itself: it opens some late (a thread's pipe, an
    // assembly file, /proc), and a failure there aborts the process ("Out of memory."). So the
    // server refuses clients while this many are still free, rather than run out.
    private const int DescriptorReserve = 64;

    private readonly Func<Protocol> _protocolFactory;
    private readonly ConcurrentDictionary<long, ConnectionBase> _connections = new();
    private readonly Lazy<TimerThread> _timerThread = new(() => new TimerThread("switchboard-timers"));
    private long _lastId;
    private int _count;
    private int _openSockets;      // connections' sockets not yet closed (a lingering close outlives its connection)
    private int _descriptorBudget; // open sockets at which clients are refused; 0 until first measured
    private volatile bool _stopping;
    private volatile AddressLimiter? _addressLimiter; // made by a reload that turns the limits on
    private volatile ServerOptions _options;
    private readonly RepeatLimiter _refusalLog;     // one line per kind of refusal per window, then a count
    private readonly RepeatLimiter _acceptFailureLog;

    // Connection ids count up from one past firstIdAfter (see Engine.ConnectionIdBase).
    public ServerRuntime(ServerOptions options, Func<Protocol> protocolFactory, ILogger logger, long firstIdAfter = 0, string engineName = "")
    {
        Metrics = new ServerMetrics(engineName, () => _connections.Values);
        _refusalLog = new RepeatLimiter(RepeatLimiter.DefaultWindow, (why, count, window) => Log.RefusedMore(logger, Counted.Of(count, "more connection"), why, Math.Max(1, Math.Round(window.TotalSeconds))));
        _acceptFailureLog = new RepeatLimiter(RepeatLimiter.DefaultWindow, (error, count, window) => Log.AcceptFailedMore(logger, Counted.Of(count, "more time"), error, Math.Max(1, Math.Round(window.TotalSeconds))));
        _lastId = firstIdAfter;
        _options = options;
        Logger = logger;
        _protocolFactory = protocolFactory;
        OutputBudget = new OutputBudget(options.MaxPendingTotalBytes, () => _connections.Values, logger);
        if (AddressLimiter.IsEnabled(options))
            _addressLimiter = new AddressLimiter(options);
    }

    /// <summary>All connections' queued output together, and its cap (<see cref="ServerOptions.MaxPendingTotalBytes"/>).</summary>
    public OutputBudget OutputBudget { get; }

    /// <summary>The options in force: those the server started with, or the last <see cref="Reconfigure"/>'s.</summary>
    public ServerOptions Options => _options;

    /// <summary>
    /// Puts <paramref name="options"/> in force (a reload; validated and checked by the caller):
    /// every limit read per connection or per send applies from the next one; the total output cap
    /// from the next send; per-address limits from the next connection (turned on now, they count
    /// only connections from now on).
    /// </summary>
    public void Reconfigure(ServerOptions options)
    {
        _options = options;
        OutputBudget.Limit = options.MaxPendingTotalBytes;
        if (_addressLimiter is { } limiter)
            limiter.Update(options);
        else if (AddressLimiter.IsEnabled(options))
            _addressLimiter = new AddressLimiter(options);
    }

    /// <summary>This server's measurements (the Switchboard meter).</summary>
    public ServerMetrics Metrics { get; }

    public ILogger Logger { get; }

    /// <summary>The app's shared-state handler, for an engine whose connections live in other processes.</summary>
    public Func<IWorkerMessageHandler?>? WorkerMessageHandler { get; set; }

    /// <summary>The timer thread of engines without a loop of their own; started on first use.</summary>
    public TimerThread TimerThread => _timerThread.Value;

    public bool IsStopping => _stopping;

    public int ConnectionCount => Volatile.Read(ref _count);

    /// <summary>
    /// Takes an accepted socket: a connection made by <paramref name="create"/> and registered, or
    /// null if the socket was refused (and closed).
    /// </summary>
    public T? Admit<T>(Socket socket, Func<long, Socket, Protocol, T> create)
        where T : ConnectionBase
    {
        if (_stopping)
        {
            socket.Dispose();
            return null;
        }

        if (CountIn(_addressLimiter is null ? null : PeerAddress(socket), out var counted) is { } refusal)
        {
            Refuse(socket, refusal);
            return null;
        }

        T connection;
        try
        {
            connection = create(Interlocked.Increment(ref _lastId), socket, CreateProtocol());
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The peer left between accept and now (its address is no longer readable).
            Unadmit(counted);
            socket.Dispose();
            return null;
        }
        catch
        {
            Unadmit(counted); // a protocol factory that throws: the acceptor reports it
            throw;
        }

        return Register(connection, counted);
    }

    /// <summary>
    /// As <see cref="Admit{T}(Socket, Func{long, Socket, Protocol, T})"/>, for an engine that
    /// holds only the descriptor and the peer's address accept gave (the readiness engines).
    /// </summary>
    public T? Admit<T>(Interop.SafeSocketDescriptor socket, IPEndPoint remote, Func<long, Protocol, T> create)
        where T : ConnectionBase
    {
        if (_stopping)
        {
            socket.Dispose();
            return null;
        }

        // Port 0 is the stand-in for a peer whose address could not be read (it reset at once,
        // before an io_uring accept's connection was asked): no address to count, as with a Socket.
        if (CountIn(remote.Port == 0 ? null : remote.Address, out var counted) is { } refusal)
        {
            Refuse(socket, remote, refusal);
            return null;
        }

        T connection;
        try
        {
            connection = create(Interlocked.Increment(ref _lastId), CreateProtocol());
        }
        catch
        {
            Unadmit(counted); // a protocol factory that throws: the acceptor reports it
            socket.Dispose();
            throw;
        }

        return Register(connection, counted);
    }

    /// <summary>
    /// Counts a new connection in, or says why it may not be served (and counts nothing):
    /// the connection limit, the descriptor budget, the per-address limits. <paramref name="counted"/>
    /// is the address counted against the per-address limits, to give back at close.
    /// </summary>
    private Refusal? CountIn(IPAddress? peer, out IPAddress? counted)
    {
        counted = null;
        if (Interlocked.Increment(ref _count) > Options.MaxConnections)
        {
            Interlocked.Decrement(ref _count);
            return new Refusal(RefusalKind.ServerFull, $"server full ({Counted.Of(Options.MaxConnections, "connection")})");
        }

        if (Volatile.Read(ref _openSockets) >= DescriptorBudget())
        {
            Interlocked.Decrement(ref _count);
            return OutOfDescriptors;
        }

        if (_addressLimiter is { } limiter && peer is not null)
        {
            if (limiter.TryAcquire(peer, out bool isCounted) is { } refusal)
            {
                Interlocked.Decrement(ref _count);
                return refusal;
            }

            if (isCounted)
                counted = peer; // exempt addresses have nothing to give back at close
        }

        return null;
    }

    /// <summary>The peer's address, or null if it already left (nothing to count; making its connection fails the same way).</summary>
    private static IPAddress? PeerAddress(Socket socket)
    {
        try
        {
            return (socket.RemoteEndPoint as IPEndPoint)?.Address;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    private T Register<T>(T connection, IPAddress? counted)
        where T : ConnectionBase
    {
        // Released at close exactly as counted here: the connection's own RemoteEndPoint may be
        // another reading (an engine that read it again, or got it from accept4 instead).
        connection.CountedAddress = counted;
        Interlocked.Increment(ref _openSockets);
        _connections[connection.Id] = connection;
        return connection;
    }

    /// <summary>The app's protocol for a new connection, under TLS when the server has a certificate.</summary>
    private Protocol CreateProtocol()
    {
        var protocol = _protocolFactory();
        return Options.Tls is { } certificate ? new Tls.TlsProtocol(protocol, certificate, Logger) : protocol;
    }

    /// <summary>
    /// Refuses a connection admitted but never started: its engine could not serve it after all
    /// (no thread for it, say). The connection is forgotten and its socket refused with one line.
    /// </summary>
    public void Withdraw(ConnectionBase connection, Socket socket, Refusal why)
    {
        Forget(connection);
        Refuse(socket, why);
    }

    /// <summary>As <see cref="Withdraw(ConnectionBase, Socket, Refusal)"/>, for a connection that is a descriptor (the kernel would not register it, say).</summary>
    public void Withdraw(ConnectionBase connection, Interop.SafeSocketDescriptor socket, Refusal why)
    {
        Forget(connection);
        Refuse(socket, connection.RemoteEndPoint, why);
    }

    /// <summary>The refusal for a connection an engine could not register with the kernel.</summary>
    public static Refusal Unregistered(Exception error) =>
        new(RefusalKind.OutOfDescriptors, $"server could not watch the connection ({error.Message})");

    private void Forget(ConnectionBase connection)
    {
        if (_connections.TryRemove(connection.Id, out _))
            Unadmit(connection.CountedAddress);
        OnSocketClosed();
    }

    public void OnConnectionClosed(ConnectionBase connection)
    {
        bool removed;
        lock (Metrics.Sync)
        {
            removed = _connections.TryRemove(connection.Id, out _);
            if (removed)
                Metrics.Fold(connection);
        }

        if (removed)
        {
            Unadmit(connection.CountedAddress);
            Metrics.OnClosed(connection.Reason ?? DisconnectReason.Error);
        }
    }

    /// <summary>Gives back what <see cref="CountIn"/> counted for one connection.</summary>
    private void Unadmit(IPAddress? counted)
    {
        Interlocked.Decrement(ref _count);
        if (counted is not null)
            _addressLimiter!.Release(counted);
    }

    public void OnSocketClosed() => Interlocked.Decrement(ref _openSockets);

    public void OnOutputDropped(long bytes) => Metrics.OnOutputDropped(bytes);

    public void OnConnectionStarted() => Metrics.OnAccepted();

    public void OnAcceptFailed(SocketException e)
    {
        string error = e.SocketErrorCode == SocketError.TooManyOpenSockets ? $"out of file descriptors (ulimit -n {SoftDescriptorLimit()})" : e.Message;
        if (_acceptFailureLog.ShouldLog(error))
            Log.AcceptFailed(Logger, error);
    }

    /// <summary>Stops admitting connections: a shutdown has begun (the acceptor's errors from here on are expected).</summary>
    public void BeginStopping() => _stopping = true;

    /// <summary>
    /// Measures the descriptor budget now, before any connection, for an engine whose accepts run
    /// ahead of admission (<see cref="CountIn"/>): io_uring's multishot accept holds every client the kernel took
    /// before the loop sees the first, so a count taken then would leave almost no budget. (Measured
    /// here, with no connection open, the budget is one larger: within the reserve.)
    /// </summary>
    public void MeasureDescriptorBudget() => DescriptorBudget();

    /// <summary>How many more sockets the descriptor budget allows now (negative when over it).</summary>
    public int DescriptorHeadroom => DescriptorBudget() - Volatile.Read(ref _openSockets);

    /// <summary>What a client refused for lack of descriptors is told.</summary>
    public static readonly Refusal OutOfDescriptors = new(RefusalKind.OutOfDescriptors, "server out of file descriptors");

    /// <summary>
    /// How many connections fit under the descriptor limit with <see cref="DescriptorReserve"/> to
    /// spare, measured at the first connection (when the engine's own descriptors are open).
    /// </summary>
    private int DescriptorBudget()
    {
        int budget = Volatile.Read(ref _descriptorBudget);
        if (budget > 0)
            return budget;
        if (!OperatingSystem.IsLinux())
            budget = int.MaxValue;
        else
        {
            // A .NET server holds about a hundred of its own: should /proc not answer, guess high.
            int open = OpenDescriptors.Count() ?? 256; // this first connection's included
            budget = (int)Math.Clamp((long)Math.Min(OpenDescriptors.SoftLimit, int.MaxValue) - open - DescriptorReserve + 1, 1, int.MaxValue);
        }

        Volatile.Write(ref _descriptorBudget, budget);
        return budget;
    }

    private static ulong SoftDescriptorLimit() => OperatingSystem.IsLinux() ? OpenDescriptors.SoftLimit : ulong.MaxValue;

    /// <summary>"saying goodbye to 1 connection", "... to 2 connections".</summary>
    private void LogShuttingDown(int connections)
    {
        if (Logger.IsEnabled(LogLevel.Information))
        {
            string counted = Counted.Of(connections, "connection");
            Log.ShuttingDown(Logger, counted);
        }
    }

    /// <summary>
    /// Graceful shutdown, after the listener is closed: every connection's protocol gets
    /// <c>OnShutdown</c>, output is flushed, and connections still open after
    /// <see cref="ServerOptions.ShutdownTimeout"/> are closed regardless; any of those still not
    /// closed 5 s later is logged (event 205) and left behind.
    /// </summary>
    public async Task ShutdownConnectionsAsync()
    {
        _stopping = true;
        var open = _connections.Values.ToArray();
        if (open.Length > 0)
            LogShuttingDown(open.Length);
        foreach (var connection in open)
            connection.BeginShutdown();

        var all = Task.WhenAll(open.Select(c => c.Completion));
        try
        {
            await all.WaitAsync(Options.ShutdownTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            foreach (var connection in open)
                connection.Disconnect(DisconnectReason.ServerShutdown);
            try
            {
                // A connection cut off completes as soon as its engine has closed it; one that does
                // not (an engine's thread stuck, say) must not keep the server from stopping.
                await all.WaitAsync(CutOffMargin).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Log.NotClosed(Logger, Counted.Of(open.Count(c => !c.Completion.IsCompleted), "connection"), CutOffMargin.TotalSeconds);
            }
        }
    }

    public void Dispose()
    {
        _refusalLog.Dispose();
        _acceptFailureLog.Dispose();
        Metrics.Dispose();
        if (_timerThread.IsValueCreated)
            _timerThread.Value.Dispose();
    }

    /// <summary>Tells a client it cannot be served (one line, <see cref="ServerOptions.RefusalLine"/>: <c>error: WHY; try again later</c>), closes it, and logs.</summary>
    public void Refuse(Socket socket, Refusal refusal)
    {
        Metrics.OnRefused(refusal.Kind); // counted before the client can read its line
        EndPoint? remote = null;
        try
        {
            remote = socket.RemoteEndPoint;
            if (OperatingSystem.IsLinux())
            {
                SendRefusal(socket.SafeHandle, refusal);
            }
            else
            {
                socket.Blocking = false;
                socket.Send(Encoding.UTF8.GetBytes(Options.RefusalLine(refusal.Why)));
            }

            socket.Shutdown(SocketShutdown.Send); // .NET's own, so that its close is a FIN, not a reset
        }
        catch (SocketException)
        {
            // Best effort: the client may already be gone, or its window full.
        }
        finally
        {
            socket.Dispose();
        }

        LogRefused(remote, refusal);
    }

    /// <summary>As <see cref="Refuse(Socket, Refusal)"/>, for a descriptor the engine drives itself.</summary>
    public void Refuse(Interop.SafeSocketDescriptor socket, EndPoint? remote, Refusal refusal)
    {
        Metrics.OnRefused(refusal.Kind);
        using (socket)
        {
            SendRefusal(socket, refusal);
            Interop.Interop.SocketIo.ShutdownSend(socket);
        }

        LogRefused(remote, refusal);
    }

    /// <summary>
    /// The refusal line, without blocking and needing nothing loaded: at the descriptor limit the
    /// runtime cannot open the assembly files a first .NET Socket.Send would load (seen: a crash).
    /// Best effort: the client may already be gone, or its window full.
    /// </summary>
    private void SendRefusal(System.Runtime.InteropServices.SafeHandle socket, Refusal refusal) =>
        Interop.Interop.SocketIo.Send(socket, Encoding.UTF8.GetBytes(Options.RefusalLine(refusal.Why)), out _);

    private void LogRefused(EndPoint? remote, Refusal refusal)
    {
        if (_refusalLog.ShouldLog(refusal.Why))
            Log.Refused(Logger, remote?.ToString() ?? "a client", refusal.Why);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "Refused {Remote}: {Why}")]
        public static partial void Refused(ILogger logger, string remote, string why);

        [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Refused {Connections} ({Why}) in the last {Seconds} s")]
        public static partial void RefusedMore(ILogger logger, string connections, string why, double seconds);

        [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "accept failed: {Error}; retrying")]
        public static partial void AcceptFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "accept failed {Times} ({Error}) in the last {Seconds} s")]
        public static partial void AcceptFailedMore(ILogger logger, string times, string error, double seconds);

        [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "Shutting down: saying goodbye to {Connections}")]
        public static partial void ShuttingDown(ILogger logger, string connections);

        [LoggerMessage(EventId = 205, Level = LogLevel.Error, Message = "{Connections} still not closed {Seconds} s after being cut off at the shutdown timeout; stopping without waiting for them")]
        public static partial void NotClosed(ILogger logger, string connections, double seconds);
    }
}
