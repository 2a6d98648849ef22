using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Switchboard.Diagnostics;
using Switchboard.Engines.Timers;
using static Switchboard.Interop.Interop;

namespace Switchboard.Engines.Readiness;

/// <summary>
/// One thread serving many sockets by asking an <see cref="IMultiplexer"/> which are ready (the
/// seeds' select/poll servers, asyncore, Twisted's reactor). The loop owns its connections, its
/// timers (a heap; the wait's timeout is the next deadline) and a wake-up socket pair, so that a
/// <c>Send</c> from another thread, or a timer added from one, wakes it.
/// </summary>
internal sealed partial class ReadinessLoop : ITimerScheduler, ILoopMeasurements, IAdoptingLoop<LoopConnection>, IDisposable
{
    private const int WakerToken = 0;
    private const int ListenerToken = 1;
    private const int FirstConnectionToken = 2;
    private const int ReceiveBufferSize = 64 * 1024;

    private readonly IMultiplexer _multiplexer;
    private readonly ILogger _logger;
    private readonly Socket _wakeReader;
    private readonly Socket _wakeWriter;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Touched by other threads: work posted to the loop, and whether a wake-up byte is in flight.
    private readonly ConcurrentQueue<Action> _posted = new();
    private int _wakePending;
    private volatile bool _stopping;

    // Loop thread only.
    private readonly TimerHeap _timers = new();
    private readonly Dictionary<int, LoopConnection> _connections = [];
    private readonly List<LoopConnection> _flushes = [];
    private readonly List<ReadyEvent> _ready = [];
    private readonly byte[] _receiveBuffer = new byte[ReceiveBufferSize];
    private readonly byte[] _wakeBuffer = new byte[64];
    private LoopConnection? _serving;  // whose readiness or timer is being handled: what it sends goes out as soon as it is done
    private bool _servingFlush;        // ... and it asked for a flush meanwhile
    private int _nextToken = FirstConnectionToken;
    private long _busyTicks; // Stopwatch ticks spent between waits, while measured (ServerMetrics.MeasuresLoopBusy)
    private long _waits;     // these three: written by the loop thread alone, read by a metrics collector
    private long _events;

    public ReadinessLoop(string name, IMultiplexer multiplexer, ILogger logger, ServerMetrics? metrics = null)
    {
        metrics?.AddLoop(this);
        _multiplexer = multiplexer;
        _logger = logger;
        (_wakeReader, _wakeWriter) = Interop.Interop.SocketPair.Create();
        _multiplexer.Add(_wakeReader.SafeHandle, WakerToken, Interest.Read);
        _thread = new Thread(Run) { IsBackground = true, Name = name };
    }

    public long Now => Clock.Now;

    long ILoopMeasurements.BusyTicks => Volatile.Read(ref _busyTicks);

    long ILoopMeasurements.Waits => Volatile.Read(ref _waits);

    long ILoopMeasurements.Events => Volatile.Read(ref _events);

    /// <summary>Completes when the loop thread has ended.</summary>
    public Task Stopped => _stopped.Task;

    public bool IsLoopThread => Thread.CurrentThread == _thread;

    public void Start() => _thread.Start();

    /// <summary>Runs <paramref name="action"/> on the loop thread: now if called there, else soon.</summary>
    public void Execute(Action action)
    {
        if (IsLoopThread)
        {
            action();
            return;
        }

        _posted.Enqueue(action);
        Wake();
    }

    public void Add(ConnectionTimer timer)
    {
        if (IsLoopThread)
            _timers.Add(timer);
        else
            AddFromElsewhere(timer);
    }

    /// <summary>
    /// Asks for <paramref name="connection"/>'s output to be written: the connection being served
    /// (its replies to a read, what its timer sends) as soon as that is done, any other at the end
    /// of the loop's iteration, so that what several senders queue for one connection in one turn
    /// leaves in one write.
    /// </summary>
    public void RequestFlush(LoopConnection connection)
    {
        if (!IsLoopThread)
            RequestFlushFromElsewhere(connection);
        else if (connection == _serving)
            _servingFlush = true;
        else
            _flushes.Add(connection);
    }

    // The lambdas live in methods of their own: a closure is allocated on entry to the method
    // that declares it, taken branch or not, and the loop-thread paths above run per message.
    private void AddFromElsewhere(ConnectionTimer timer) => Execute(() => _timers.Add(timer));

    private void RequestFlushFromElsewhere(LoopConnection connection) => Execute(() => _flushes.Add(connection));

    /// <summary>
    /// Registers an accepted socket and starts its connection; false, with nothing started or
    /// kept, if the kernel would not take it (epoll out of room, say): the caller withdraws it.
    /// Loop thread only.
    /// </summary>
    public bool TryAdopt(LoopConnection connection, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out Exception? error)
    {
        int token = _nextToken++;
        if (_nextToken == int.MaxValue)
            _nextToken = FirstConnectionToken;
        try
        {
            // Already non-blocking (SocketIo.AcceptHandle).
            SocketIo.SetNoDelay(connection.Handle);
            _multiplexer.Add(connection.Handle, token, Interest.Read);
        }
        catch (Exception e) when (e is SocketException or System.ComponentModel.Win32Exception)
        {
            error = e;
            return false;
        }

        connection.Token = token;
        _connections.Add(token, connection);
        connection.Start();
        error = null;
        return true;
    }

    public void SetInterest(LoopConnection connection, Interest interest) =>
        _multiplexer.Modify(connection.Handle, connection.Token, interest);

    /// <summary>Unregisters and closes a connection's socket. Loop thread only.</summary>
    public void Forget(LoopConnection connection)
    {
        if (_connections.Remove(connection.Token))
            _multiplexer.Remove(connection.Handle, connection.Token);
        connection.Handle.Dispose();
    }

    /// <summary>Ends the loop after its current iteration and closes what it still holds.</summary>
    public void Stop()
    {
        _stopping = true;
        Wake();
    }

    public void Dispose()
    {
        // A flag test: a background thread that never started is Unstarted | Background.
        if ((_thread.ThreadState & ThreadState.Unstarted) == 0 && !IsLoopThread)
            _thread.Join();
        _multiplexer.Dispose();
        _wakeReader.Dispose();
        _wakeWriter.Dispose();
        _spare.Dispose(); // let go at StopListening already, unless the loop never ran
    }

    private void Wake()
    {
        // One byte in flight is enough to wake the loop; it resets the flag before draining posts.
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
            _wakeWriter.Send([1], SocketFlags.None, out _);
    }

    private void Run()
    {
        try
        {
            while (!_stopping)
            {
                if (!TryWait())
                    continue;
                long start = ServerMetrics.MeasuresLoopBusy ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
                Volatile.Write(ref _waits, _waits + 1);
                Volatile.Write(ref _events, _events + _ready.Count);
                foreach (var ready in _ready)
                    Dispatch(ready);
                RunPosted();
                FireDueTimers();
                FlushRequested();
                if (start != 0)
                    Volatile.Write(ref _busyTicks, _busyTicks + (System.Diagnostics.Stopwatch.GetTimestamp() - start));
            }
        }
        finally
        {
            foreach (var connection in _connections.Values.ToArray())
                connection.Handle.Dispose();
            _connections.Clear();
            StopListening();
            _stopped.TrySetResult();
        }
    }

    /// <summary>
    /// Waits for readiness. Should the multiplexer itself fail, the loop cannot tell which socket
    /// is at fault: it logs, drops its connections (which frees what ran out) and carries on,
    /// rather than let the exception end the process.
    /// </summary>
    private bool TryWait()
    {
        try
        {
            _multiplexer.Wait(WaitTimeout(), _ready);
            return true;
        }
        catch (Exception e) when (e is SocketException or System.ComponentModel.Win32Exception)
        {
            if (_logger.IsEnabled(LogLevel.Error))
            {
                string dropping = Counted.Of(_connections.Count, "connection");
                Log.WaitFailed(_logger, _thread.Name!, e.Message, dropping);
            }
            foreach (var connection in _connections.Values.ToArray())
                connection.Disconnect(Protocols.DisconnectReason.Error, e);
            return false;
        }
    }

    private void Dispatch(ReadyEvent ready)
    {
        switch (ready.Token)
        {
            case WakerToken:
                while (_wakeReader.Receive(_wakeBuffer, SocketFlags.None, out var error) > 0 && error == SocketError.Success)
                {
                }

                // Only now, with the bytes drained and the posted work not yet run: a Wake() that
                // saw the flag still set enqueued its work before, so RunPosted will find it.
                Volatile.Write(ref _wakePending, 0);
                break;
            case ListenerToken:
                AcceptReady();
                break;
            default:
                if (_connections.TryGetValue(ready.Token, out var connection))
                    Serve(connection, ready);
                break;
        }
    }

    /// <summary>
    /// Handles one connection's readiness and then writes what it answered, rather than after
    /// every ready socket was read: the reply leaves sooner, and the output segment it used goes
    /// back to the pool for the next connection instead of one segment per ready socket being
    /// held until the end of the batch.
    /// </summary>
    private void Serve(LoopConnection connection, ReadyEvent ready)
    {
        _serving = connection;
        try
        {
            connection.OnReady(ready, _receiveBuffer);
        }
        finally
        {
            _serving = null;
        }

        FlushServed(connection);
    }

    /// <summary>Writes what the connection just served sent, if it asked for a write meanwhile.</summary>
    private void FlushServed(LoopConnection connection)
    {
        if (_servingFlush)
        {
            _servingFlush = false;
            connection.Flush();
        }
    }

    private void RunPosted()
    {
        while (_posted.TryDequeue(out var action))
            action();
    }

    /// <summary>
    /// Fires the timers that are due, writing what each connection's timer sent as soon as it has
    /// run, as for a read: a tick to ten thousand connections then uses one pooled output segment
    /// after another, where holding each until the end of the turn took more than the pool keeps
    /// and allocated the rest.
    /// </summary>
    private void FireDueTimers()
    {
        long now = Clock.Now;
        while (_timers.TryTakeDue(now, out var timer))
        {
            var connection = timer.Owner as LoopConnection;
            _serving = connection;
            bool again;
            try
            {
                again = timer.Fire(now);
            }
            finally
            {
                _serving = null;
            }

            if (again)
                _timers.Add(timer);
            if (connection is not null)
                FlushServed(connection);
        }
    }

    private void FlushRequested()
    {
        // A flush can queue more (a protocol that sends from OnDisconnected, say): index, not foreach.
        for (int i = 0; i < _flushes.Count; i++)
            _flushes[i].Flush();
        _flushes.Clear();
    }

    private int WaitTimeout()
    {
        if (!_posted.IsEmpty || _flushes.Count > 0)
            return 0;
        if (_timers.NextDue is not { } due)
            return -1;
        long ticks = due - Clock.Now;
        return ticks <= 0 ? 0 : (int)Math.Min(int.MaxValue, Math.Ceiling(Clock.ToTimeSpan(ticks).TotalMilliseconds));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 220, Level = LogLevel.Error, Message = "{Loop}: waiting for readiness failed ({Error}); dropping its {Connections}")]
        public static partial void WaitFailed(ILogger logger, string loop, string error, string connections);
    }
}
