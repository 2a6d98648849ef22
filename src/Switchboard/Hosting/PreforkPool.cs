using System.Buffers.Binary;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Switchboard.Hosting;

/// <summary>
/// A prefork pool, run by the parent: keeps <see cref="PreforkPoolSettings.MinSpare"/> idle
/// workers ready, never more than <see cref="PreforkPoolSettings.Max"/> in all, replaces workers
/// that exit or die, and at shutdown lets them say goodbye before it stops them. The parent never
/// accepts: idle workers take turns accepting from the listening socket they inherit, so a
/// connection that finds every worker busy waits in the kernel's backlog, not dropped. That was
/// chosen over the parent accepting and handing descriptors over (SCM_RIGHTS): no descriptor
/// passing, and no accepted socket waits in the parent while the pool is full. The pool knows
/// nothing of protocols or engines: a worker is this program started again (see <see cref="Prefork"/>).
/// </summary>
internal sealed partial class PreforkPool(PreforkPoolSettings settings) : IDisposable
{
    // How far past the idle timeout a busy worker's connection may stay quiet before it counts as
    // hung: room for the connection's own idle timer to fire and the worker to report it.
    private static readonly TimeSpan HangMargin = TimeSpan.FromSeconds(2);

    // How long shutdown waits for killed workers to be reaped before it stops without them.
    private static readonly TimeSpan KillMargin = TimeSpan.FromSeconds(5);

    // What a worker sends the parent is status reports and its app's calls, a few bytes each: a
    // small reader buffer per worker, for the worker's life (it grows for a larger frame).
    private const int WorkerReportBuffer = 4 * 1024;

    private readonly Lock _lock = new();
    private readonly ILogger _logger = settings.Logger;
    private readonly List<WorkerHandle> _workers = [];
    private readonly TaskCompletionSource _allExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StartBackOff _backOff = new();
    private Socket? _listener;
    private BacklogGuard? _backlogGuard;
    private DemandWatch? _demandWatch;
    private int _max;
    private bool _capped;
    private Timer? _hangCheck;
    private bool _stopping;
    private bool _retryScheduled;
    private long _idleTimeoutTicks = settings.IdleTimeout.Ticks;         // a reload may change these two
    private long _shutdownTimeoutTicks = settings.ShutdownTimeout.Ticks;

    private TimeSpan IdleTimeout => TimeSpan.FromTicks(Volatile.Read(ref _idleTimeoutTicks));

    private TimeSpan ShutdownTimeout => TimeSpan.FromTicks(Volatile.Read(ref _shutdownTimeoutTicks));

    /// <summary>Completes when every worker has exited and the listener is closed, after <see cref="Stop"/>.</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>Starts the first workers, which serve from <paramref name="listener"/>; returns at once.</summary>
    public void Start(Socket listener)
    {
        _listener = listener; // inheritable only while a worker starts (WorkerHandle.Start)
        _max = settings.Max;
        settings.Metrics?.SetWorkers(CountWorkers);
        if (settings.RefuseWhenFull is { } refuse)
            _backlogGuard = new BacklogGuard(listener, socket => refuse(socket, Volatile.Read(ref _max)), _logger);
        if (IdleTimeout > TimeSpan.Zero)
            _hangCheck = new Timer(_ => KillHung(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        lock (_lock)
            Replenish();
        _demandWatch = DemandWatch.Start(listener, OnClientsWaiting);
    }

    /// <summary>
    /// The server's options changed: the pool takes the timeouts it enforces (the idle timeout for
    /// the workers it starts from now on: each is checked by its own), and every worker (each
    /// serves with the options it was started with) is asked to retire once its connection ends;
    /// fresh workers, started with the options in force, take their places. No connection is
    /// dropped. Nothing while the pool stops.
    /// </summary>
    public void Reconfigure(TimeSpan idleTimeout, TimeSpan shutdownTimeout)
    {
        lock (_lock)
        {
            if (_stopping)
                return;
            Volatile.Write(ref _idleTimeoutTicks, idleTimeout.Ticks);
            Volatile.Write(ref _shutdownTimeoutTicks, shutdownTimeout.Ticks);
            if (idleTimeout > TimeSpan.Zero)
                _hangCheck ??= new Timer(_ => KillHung(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            foreach (var worker in _workers)
            {
                if (!worker.Channel.SendRetire())
                    Log.RetireNotQueued(_logger, worker.Pid);
            }
        }
    }

    /// <summary>From the <see cref="DemandWatch"/>: <paramref name="waiting"/> clients wait in the accept queue.</summary>
    private void OnClientsWaiting(int waiting)
    {
        lock (_lock)
        {
            if (!_stopping)
                Replenish(waiting);
        }
    }

    /// <summary>Idle and busy workers now, for metrics.</summary>
    private (int Idle, int Busy) CountWorkers()
    {
        lock (_lock)
        {
            int busy = _workers.Count(w => w.IsBusy);
            return (_workers.Count - busy, busy);
        }
    }

    /// <summary>Releases the hang check, should the pool be dropped without <see cref="Stop"/> (a failed start).</summary>
    public void Dispose()
    {
        _hangCheck?.Dispose();
        _backlogGuard?.Dispose();
        _demandWatch?.Dispose();
    }

    /// <summary>Asks every worker to say goodbye to its client and exit; <see cref="Stopped"/> completes when all have.</summary>
    public void Stop()
    {
        var handler = settings.MessageHandler;
        lock (_lock)
        {
            if (_stopping)
                return;
            _stopping = true;
            _backlogGuard?.Dispose();
            _demandWatch?.Dispose();

            // A handler stops sending to every worker first; then each worker's stop goes after
            // what was sent to it, so a worker says goodbye only once it has passed all of that
            // on. SIGTERM could overtake messages still on their way.
            if (handler is not null)
                StopHandler(handler);
            foreach (var worker in _workers)
            {
                if (handler is null || !worker.Channel.SendStop())
                    worker.Terminate();
            }

            if (_workers.Count == 0)
                _allExited.TrySetResult();
        }

        _ = FinishAsync();
    }

    private async Task FinishAsync()
    {
        try
        {
            await _allExited.Task.WaitAsync(ShutdownTimeout + TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            lock (_lock)
            {
                foreach (var worker in _workers)
                {
                    Log.Killing(_logger, worker.Pid);
                    worker.Kill();
                }
            }

            try
            {
                await _allExited.Task.WaitAsync(KillMargin).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // SIGKILL cannot be refused, so this is a pool bug, not a worker's: stop anyway.
                lock (_lock)
                    Log.NotReaped(_logger, string.Join(", ", _workers.Select(w => w.Pid)), KillMargin.TotalSeconds);
            }
        }

        if (_hangCheck is not null)
            await _hangCheck.DisposeAsync().ConfigureAwait(false);

        // Only now: no worker is left to need the listening socket.
        _listener?.Dispose();
        _stopped.TrySetResult();
    }

    /// <summary>
    /// Starts workers until enough are idle, within the ceiling. Holding <see cref="_lock"/>. Never
    /// throws: whatever stops a worker starting must not stop the pool (or the watch of the worker
    /// whose status called this), so it backs off and retries.
    /// </summary>
    private void Replenish(int waiting = 0)
    {
        try
        {
            StartWorkers(waiting);
            _backlogGuard?.SetFull(!_stopping && _workers.Count >= _max && _workers.TrueForAll(w => w.IsBusy), _workers.Count);
        }
#pragma warning disable CA1031 // See above: back off and retry.
        catch (Exception e)
#pragma warning restore CA1031
        {
            var delay = _backOff.Failed();
            Log.CannotStart(_logger, e.Message, delay.TotalSeconds);
            ScheduleRetry(delay);
        }
    }

    /// <summary>
    /// Starts workers until as many are not busy (idle, or still starting) as the spares wanted,
    /// or as <paramref name="waiting"/> clients wait in the accept queue if more, within the ceiling.
    /// </summary>
    private void StartWorkers(int waiting)
    {
        int free = _workers.Count(w => !w.IsBusy);
        int starting = _workers.Count(w => !w.CameUp);
        int wanted = Math.Max(settings.MinSpare, Math.Min(waiting, free + Math.Max(0, Environment.ProcessorCount - starting)));
        int more = Math.Min(wanted - free, _max - _workers.Count);
        if (waiting > free && more > 0)
            Log.StartingForWaiting(_logger, waiting, free, more);
        while (!_stopping && _workers.Count(w => !w.IsBusy) < wanted && _workers.Count < _max)
        {
            if (_backOff.Remaining is { } wait && wait > TimeSpan.Zero)
            {
                ScheduleRetry(wait);
                return;
            }

            var budget = DescriptorBudget.Measure();
            if (budget.Room < 1)
            {
                var delay = _backOff.Failed();
                Log.NoDescriptors(_logger, budget.OpenText, budget.Limit, DescriptorBudget.Reserve, delay.TotalSeconds);
                ScheduleRetry(delay);
                return;
            }

            var worker = WorkerHandle.Start(_listener!, settings.ListenerName, settings.WorkerProgram, _logger);
            worker.IdleTimeout = IdleTimeout;
            _workers.Add(worker);
            settings.Metrics?.OnWorkerStarted();
            Log.Started(_logger, worker.Pid, _workers.Count);
            _ = WatchAsync(worker); // before anything else can throw: it is what reaps the worker
            if (!_capped)
                CapToDescriptorLimit();
        }
    }

    /// <summary>
    /// Kills (SIGKILL) busy workers whose connection has been quiet past the idle timeout, by their
    /// own reports or by their silence: the connection's idle timer should have closed it, so a
    /// callback is stuck, or the worker is stopped. Only the parent can judge a worker that no
    /// longer runs; its death is then handled like any other.
    /// </summary>
    private void KillHung()
    {
        lock (_lock)
        {
            if (_stopping)
                return;
            foreach (var worker in _workers)
            {
                // By the idle timeout the worker serves with (a reload changes it for fresh workers only).
                if (!worker.IsBusy || worker.KilledAsHung || worker.IdleTimeout <= TimeSpan.Zero
                    || worker.QuietFor is var quiet && quiet <= worker.IdleTimeout + HangMargin)
                    continue;
                worker.KilledAsHung = true;
                Log.Hung(_logger, worker.Pid, quiet.TotalSeconds);
                worker.Kill();
            }
        }
    }

    /// <summary>Lowers the ceiling to what the descriptor limit allows, once. Holding <see cref="_lock"/>.</summary>
    private void CapToDescriptorLimit()
    {
        _capped = true;
        var budget = DescriptorBudget.Measure();
        if (budget.Open is null)
        {
            _capped = false; // not measured: try again after the next start
            return;
        }

        int allowed = _workers.Count + budget.Room;
        if (allowed >= _max)
            return;
        Log.Capped(_logger, _max, allowed, budget.Limit, budget.OpenText, DescriptorBudget.Reserve);
        _max = Math.Max(1, allowed);
    }

    private void ScheduleRetry(TimeSpan delay)
    {
        if (_retryScheduled)
            return;
        _retryScheduled = true;
        _ = Task.Delay(delay).ContinueWith(
            _ =>
            {
                lock (_lock)
                {
                    _retryScheduled = false;
                    Replenish();
                }
            },
            TaskScheduler.Default);
    }

    /// <summary>
    /// Follows one worker's status until its control channel closes, then reaps it. Whatever goes
    /// wrong, the worker is removed and disposed in the end: shutdown waits for every one.
    /// </summary>
    private async Task WatchAsync(WorkerHandle worker)
    {
        var handler = settings.MessageHandler;
        try
        {
            try
            {
                var reader = new FrameReader(worker.Control, WorkerReportBuffer);
                for (var frame = await reader.ReadAsync().ConfigureAwait(false); !frame.IsEmpty; frame = await reader.ReadAsync().ConfigureAwait(false))
                {
                    if (frame.Span[0] == Frames.Message)
                    {
                        Deliver(handler, worker, frame.Span);
                        continue;
                    }

                    lock (_lock)
                        OnStatus(worker, frame.Span);
                }
            }
            catch (Exception e) when (e is SocketException or InvalidDataException)
            {
                // The worker died, its end closed abruptly, or it sent garbage: it is done either way.
            }

            await worker.Process.WaitForExitAsync().ConfigureAwait(false); // reaps it: no zombie
        }
#pragma warning disable CA1031 // Logged; the worker is stopped and reaped below all the same.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.WatchFailed(_logger, worker.Pid, e.GetType().Name, e.Message);
            worker.Kill(); // nobody follows it any more: it must not live on
            try
            {
                await worker.Process.WaitForExitAsync().WaitAsync(KillMargin).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Best effort: it is removed either way.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
        finally
        {
            Reap(worker, handler);
        }
    }

    private void StopHandler(IWorkerMessageHandler handler)
    {
        try
        {
            handler.OnStopping();
        }
#pragma warning disable CA1031 // The user's handler must not keep the workers from stopping.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.StoppingHandlerFailed(_logger, e);
        }
    }

    private void Reap(WorkerHandle worker, IWorkerMessageHandler? handler)
    {
        try
        {
            handler?.OnWorkerExited(worker.Channel);
        }
#pragma warning disable CA1031 // The user's handler must not keep a worker from being reaped.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.ExitHandlerFailed(_logger, worker.Pid, e.GetType().Name, e.Message);
        }

        lock (_lock)
        {
            if (worker.Process.HasExited)
                settings.Metrics?.OnWorkerExited(died: LogExit(worker));
            _workers.Remove(worker);
            worker.Dispose();
            if (_stopping && _workers.Count == 0)
                _allExited.TrySetResult();
            Replenish();
        }
    }

    /// <summary>Says how a reaped worker ended; true if it died (failed to start, or ended with an error). Holding <see cref="_lock"/>.</summary>
    private bool LogExit(WorkerHandle worker)
    {
        int code = worker.Process.ExitCode;
        string how = WorkerExit.Describe(code, worker.SaidGoodbye, worker.CameUp);
        if (!worker.CameUp && !_stopping)
        {
            Log.FailedStart(_logger, worker.Pid, how, _backOff.Failed().TotalSeconds);
            return true;
        }

        if (code == 0 || _stopping)
        {
            Log.Exited(_logger, worker.Pid, how);
            return false;
        }

        LogDied(worker, how);
        return true;
    }

    /// <summary>A worker that died: whether it took a connection with it.</summary>
    private void LogDied(WorkerHandle worker, string how)
    {
        if (worker.IsBusy)
            Log.DiedServing(_logger, worker.Pid, how);
        else
            Log.DiedIdle(_logger, worker.Pid, how);
    }

    /// <summary>A worker's status message. Holding <see cref="_lock"/>.</summary>
    private void OnStatus(WorkerHandle worker, ReadOnlySpan<byte> frame)
    {
        byte status = frame[1];
        switch (status)
        {
            case WorkerStatus.Alive when frame.Length >= 6:
                worker.Reported(TimeSpan.FromMilliseconds(BinaryPrimitives.ReadInt32LittleEndian(frame[2..])));
                return;
            case WorkerStatus.Exiting:
                worker.SaidGoodbye = true;
                return;
            case WorkerStatus.Served when frame.Length >= 3 + (4 * sizeof(long)):
                OnServed(frame[2..]);
                return;
            case WorkerStatus.Ready:
                worker.CameUp = true;
                _backOff.Succeeded();
                break;
            default:
                if (status == WorkerStatus.Busy && !worker.IsBusy)
                    settings.Metrics?.OnAccepted();
                worker.IsBusy = status == WorkerStatus.Busy;
                worker.Reported(TimeSpan.Zero);
                break;
        }

        Replenish();
    }

    /// <summary>A worker's connection ended: its counts join the server's (<see cref="WorkerStatus.Served"/>).</summary>
    private void OnServed(ReadOnlySpan<byte> report)
    {
        if (settings.Metrics is not { } metrics)
            return;
        var reason = (Protocols.DisconnectReason)report[0];
        var counts = report[1..];
        metrics.OnServed(
            reason,
            bytesReceived: BinaryPrimitives.ReadInt64LittleEndian(counts),
            bytesSent: BinaryPrimitives.ReadInt64LittleEndian(counts[8..]),
            linesReceived: BinaryPrimitives.ReadInt64LittleEndian(counts[16..]),
            linesSent: BinaryPrimitives.ReadInt64LittleEndian(counts[24..]),
            dropped: counts.Length >= 40 ? BinaryPrimitives.ReadInt64LittleEndian(counts[32..]) : 0);
    }

    private void Deliver(IWorkerMessageHandler? handler, WorkerHandle worker, ReadOnlySpan<byte> frame)
    {
        if (handler is null)
            return;
        try
        {
            handler.OnMessage(worker.Channel, frame[1..]);
        }
#pragma warning disable CA1031 // A bad message must not take the pool down.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.HandlerFailed(_logger, worker.Pid, e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 416, Level = LogLevel.Debug, Message = "{Waiting} clients wait for a worker and {Free} workers are idle or starting: starting {Starting} more at once")]
        public static partial void StartingForWaiting(ILogger logger, int waiting, int free, int starting);

        [LoggerMessage(EventId = 400, Level = LogLevel.Error, Message = "The shared-state handler failed as the server began to stop; stopping the workers all the same")]
        public static partial void StoppingHandlerFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 415, Level = LogLevel.Warning, Message = "Worker {Pid} could not be asked to retire (its channel is full or closed): it serves with the old settings until it exits")]
        public static partial void RetireNotQueued(ILogger logger, int pid);

        [LoggerMessage(EventId = 401, Level = LogLevel.Error, Message = "The shared-state handler failed on a message from worker {Pid}")]
        public static partial void HandlerFailed(ILogger logger, int pid, Exception exception);

        [LoggerMessage(EventId = 402, Level = LogLevel.Information, Message = "Started worker {Pid} ({Count} in the pool)")]
        public static partial void Started(ILogger logger, int pid, int count);

        [LoggerMessage(EventId = 403, Level = LogLevel.Information, Message = "Worker {Pid} exited ({How})")]
        public static partial void Exited(ILogger logger, int pid, string how);

        [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "Worker {Pid} died ({How}) while serving a connection: only that connection is lost")]
        public static partial void DiedServing(ILogger logger, int pid, string how);

        [LoggerMessage(EventId = 405, Level = LogLevel.Warning, Message = "Worker {Pid} died ({How}) while idle: no connection is lost")]
        public static partial void DiedIdle(ILogger logger, int pid, string how);

        [LoggerMessage(EventId = 406, Level = LogLevel.Error, Message = "Worker {Pid} failed to start ({How}, before it reported ready); next start in {Seconds} s")]
        public static partial void FailedStart(ILogger logger, int pid, string how, double seconds);

        [LoggerMessage(EventId = 407, Level = LogLevel.Error, Message = "Cannot start a worker: {Error}; retrying in {Seconds} s")]
        public static partial void CannotStart(ILogger logger, string error, double seconds);

        [LoggerMessage(EventId = 408, Level = LogLevel.Warning, Message = "At most {Max} workers, not {Wanted}: the open-files limit is {Limit} and {Open} are open; {Reserve} are kept in reserve")]
        public static partial void Capped(ILogger logger, int wanted, int max, ulong limit, string open, int reserve);

        [LoggerMessage(EventId = 409, Level = LogLevel.Error, Message = "Not starting a worker: {Open} descriptors open, the limit is {Limit} and {Reserve} are kept in reserve; next try in {Seconds} s")]
        public static partial void NoDescriptors(ILogger logger, string open, ulong limit, int reserve, double seconds);

        [LoggerMessage(EventId = 410, Level = LogLevel.Error, Message = "Worker {Pid} is hung: its connection has been quiet for {Seconds:F0} s, past the idle timeout; killing it")]
        public static partial void Hung(ILogger logger, int pid, double seconds);

        [LoggerMessage(EventId = 411, Level = LogLevel.Warning, Message = "Worker {Pid} did not finish in time; killing it")]
        public static partial void Killing(ILogger logger, int pid);

        [LoggerMessage(EventId = 412, Level = LogLevel.Error, Message = "Workers {Pids} were not reaped {Seconds} s after they were killed; stopping without them")]
        public static partial void NotReaped(ILogger logger, string pids, double seconds);

        [LoggerMessage(EventId = 413, Level = LogLevel.Error, Message = "Following worker {Pid} failed ({Type}: {Error}); stopping and reaping it")]
        public static partial void WatchFailed(ILogger logger, int pid, string type, string error);

        [LoggerMessage(EventId = 414, Level = LogLevel.Error, Message = "The shared-state handler failed on the exit of worker {Pid} ({Type}: {Error})")]
        public static partial void ExitHandlerFailed(ILogger logger, int pid, string type, string error);
    }
}
