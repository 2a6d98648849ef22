using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Switchboard.Hosting;

/// <summary>
/// The prefork pool's answer to clients it cannot serve. While every worker is busy and no more
/// may start, a new client waits in the kernel's listen backlog for a worker to come free. A short
/// wait is fine (connections end all the time); an endless one is not: 32 connections that never
/// end would leave every newcomer waiting in silence. So once the pool has been full for
/// <see cref="Grace"/>, this guard accepts the clients still waiting, in the parent, and refuses
/// each with one line, until a worker is free again. It logs once when refusing begins and once
/// when a worker is free again, with the count refused; a pool full for less than the grace logs
/// nothing.
/// </summary>
/// <remarks>
/// The listener is non-blocking for every process that shares it (see the worker's acceptor), so
/// the guard may lose a client to a worker that just came free: that accept finds nothing (EAGAIN).
/// <see cref="SetFull"/> runs under the pool's lock; the guard's thread never takes that lock.
/// </remarks>
internal sealed partial class BacklogGuard : IDisposable
{
    /// <summary>How long the pool stays full before waiting clients are refused.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    // How often the guard looks again for a waiting client while it refuses: a poll's timeout.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    // How long a client that has just arrived is left to the workers before the guard takes it.
    private static readonly TimeSpan WorkerFirst = TimeSpan.FromMilliseconds(50);

    private readonly object _lock = new(); // Monitor: the guard's thread waits on it
    private readonly Socket _listener;
    private readonly Action<Socket> _refuse;
    private readonly ILogger _logger;
    private Thread? _thread;
    private bool _full;
    private long _fullSince;
    private int _refused;
    private bool _disposed;
    private bool _announced; // this episode passed the grace and was logged
    private int _workers;

    /// <param name="listener">The listening socket the workers share.</param>
    /// <param name="refuse">Tells one client it cannot be served, and closes it.</param>
    /// <param name="logger">Where episodes are logged.</param>
    public BacklogGuard(Socket listener, Action<Socket> refuse, ILogger logger)
    {
        _listener = listener;
        _listener.Blocking = false; // as the workers have it already: one open file, one flag
        _refuse = refuse;
        _logger = logger;
    }

    /// <summary>Whether every one of <paramref name="workers"/> workers is busy and no more may start.</summary>
    public void SetFull(bool full, int workers)
    {
        lock (_lock)
        {
            if (full == _full || _disposed)
                return;
            _full = full;
            if (full)
            {
                _fullSince = Stopwatch.GetTimestamp();
                _refused = 0;
                _workers = workers;
                if (_thread is null)
                {
                    _thread = new Thread(Run) { IsBackground = true, Name = "switchboard-backlog-guard" };
                    _thread.Start();
                }
            }
            else if (_announced)
            {
                // Only episodes that passed the grace are logged: a pool that is full for a moment
                // between short connections, over and over, must not fill the log.
                _announced = false;
                double seconds = Stopwatch.GetElapsedTime(_fullSince).TotalSeconds;
                Log.FreeAgain(_logger, seconds, _refused);
            }

            Monitor.PulseAll(_lock);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _full = false;
            Monitor.PulseAll(_lock);
        }
    }

    private void Run()
    {
        while (WaitUntilRefusing())
        {
            try
            {
                // A worker that has just come free is already polling too, and its report may not
                // have reached the pool yet: give it the first chance at a new client.
                if (!_listener.Poll(PollInterval, SelectMode.SelectRead) || !StillFullAfter(WorkerFirst))
                    continue;
                RefuseAllWaiting();
            }
            catch (SocketException e)
            {
                // Out of descriptors, say: the clients stay in the backlog; try again after a while.
                Log.AcceptFailed(_logger, e.Message);
                Thread.Sleep(PollInterval);
            }
            catch (ObjectDisposedException)
            {
                return; // the pool closed the listener: it has stopped
            }
        }
    }

    /// <summary>Accepts and refuses every client waiting, while the pool stays full.</summary>
    private void RefuseAllWaiting()
    {
        while (StillFullAfter(TimeSpan.Zero))
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
                return; // none left (or a worker took it)
            }

            lock (_lock)
                _refused++;
            _refuse(client);
        }
    }

    private bool StillFullAfter(TimeSpan wait)
    {
        lock (_lock)
        {
            if (wait > TimeSpan.Zero && _full && !_disposed)
                Monitor.Wait(_lock, wait); // woken early by a change
            return _full && !_disposed;
        }
    }

    /// <summary>Blocks until the pool has been full for the grace period; false once disposed.</summary>
    private bool WaitUntilRefusing()
    {
        lock (_lock)
        {
            while (true)
            {
                if (_disposed)
                    return false;
                if (!_full)
                {
                    Monitor.Wait(_lock);
                    continue;
                }

                var left = Grace - Stopwatch.GetElapsedTime(_fullSince);
                if (left <= TimeSpan.Zero)
                {
                    if (!_announced)
                    {
                        _announced = true;
                        Log.AllBusy(_logger, _workers, Grace.TotalSeconds);
                    }

                    return true;
                }

                Monitor.Wait(_lock, left);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 420, Level = LogLevel.Warning, Message = "All {Workers} workers busy for {Grace} s: refusing new clients until one is free")]
        public static partial void AllBusy(ILogger logger, int workers, double grace);

        [LoggerMessage(EventId = 421, Level = LogLevel.Information, Message = "A worker is free again after {Seconds:F1} s with all busy; clients refused meanwhile: {Refused}")]
        public static partial void FreeAgain(ILogger logger, double seconds, int refused);

        [LoggerMessage(EventId = 422, Level = LogLevel.Warning, Message = "Accepting a waiting client to refuse it failed: {Error}")]
        public static partial void AcceptFailed(ILogger logger, string error);
    }
}
