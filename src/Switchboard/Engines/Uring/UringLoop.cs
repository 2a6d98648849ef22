using System.Collections.Concurrent;
using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Switchboard.Diagnostics;
using Switchboard.Engines.Timers;
using Switchboard.Interop;
using static Switchboard.Interop.Interop;
using static Switchboard.Interop.Interop.Uring;

namespace Switchboard.Engines.Uring;

/// <summary>
/// One thread serving many sockets through its own io_uring: each turn is one io_uring_enter(2)
/// that submits what the last turn queued (receives to arm, sends, cancellations) and waits for
/// completions, bounded by the next timer on the loop's own heap. Receives are multishot over a
/// provided-buffer ring, so a connection waiting for data holds no buffer; a wake-up from another
/// thread is a write to an eventfd whose read is always posted on the ring.
/// </summary>
/// <remarks>
/// A completion names its operation and its connection's slot in the user data. A slot is reused
/// only when every operation of its connection has completed (<see cref="UringConnection"/>
/// counts them), so a late completion never reaches the wrong connection.
/// </remarks>
internal sealed unsafe partial class UringLoop : ITimerScheduler, ITimerOwner, ILoopMeasurements, IAdoptingLoop<UringConnection>, IDisposable
{
    private const uint SubmissionEntries = 1024;
    private const uint CompletionEntries = 8192;
    // 512 KiB of receive buffers per loop, shared by its connections. That bounds what one turn
    // can receive (a multishot receive takes all that has arrived, until the buffers run out:
    // ENOBUFS, armed again next turn), under the default 1 MiB output limit, as epoll's 256 KiB
    // per read bounds its turn, so that a peer sending faster than it reads meets the pause
    // (UringConnection) before the output limit (UringFlowTests fails at 2 MiB a turn).
    // Where the kernel consumes buffers incrementally (IOU_PBUF_RING_INC, Linux 6.12), they are
    // 8 of 64 KiB, each shared by many small receives; elsewhere each completion takes a whole
    // buffer however little it holds, so they are 128 of 4 KiB. Measured in docs/benchmarks.md
    // ("Performance round two, continued" and "io_uring: buffers consumed incrementally").
    private const int IncrementalBufferCount = 8;
    private const int IncrementalBufferSize = 64 * 1024;
    private const int WholeBufferCount = 128;
    private const int WholeBufferSize = 4096;
    private const ushort BufferGroup = 0;
    private const int NoSlot = 0;

    private readonly ILogger _logger;
    private readonly UringRing _ring;
    private readonly UringBufferRing _buffers;
    private readonly SafeFileHandle _eventFd; // a handle, so that a wake-up racing the loop's disposal never writes to a reused number
    private readonly ulong* _wakeValue;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Touched by other threads.
    private readonly ConcurrentQueue<Action> _posted = new();
    private int _wakePending;
    private bool _leakBuffers; // Drain could not get every operation back: the kernel may still use the buffers
    private volatile bool _stopping;

    // Loop thread only.
    private readonly TimerHeap _timers = new();
    private readonly List<UringConnection?> _slots = [null]; // slot 0 is no connection's
    private readonly Stack<int> _freeSlots = new();
    private readonly List<UringConnection> _flushes = [];
    private readonly List<UringConnection> _receives = [];
    private readonly Cqe[] _completions = new Cqe[256];
    private int _inFlight; // operations submitted whose last completion has not come back
    private long _busyTicks;
    private long _waits;
    private long _events;

    public UringLoop(string name, ILogger logger, ServerMetrics? metrics = null, bool wholeReceiveBuffers = false)
    {
        _logger = logger;
        _ring = UringRing.CreateForOneThread(SubmissionEntries, CompletionEntries, UringProbe.SetupFlags);
        try
        {
            _buffers = RegisterBuffers(_ring, wholeReceiveBuffers);
            int eventFd = EventFd(0, EFD_CLOEXEC); // blocking: io_uring answers a non-blocking one with EAGAIN instead of waiting
            if (eventFd < 0)
                throw Interop.Interop.LastError("eventfd");
            _eventFd = new SafeFileHandle(eventFd, ownsHandle: true);
        }
        catch
        {
            _buffers?.Dispose();
            _ring.Dispose();
            throw;
        }

        _wakeValue = (ulong*)NativeMemory.AllocZeroed(sizeof(ulong));
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        metrics?.AddLoop(this);
        Log.ReceiveBuffers(_logger, name, _buffers.Count, _buffers.BufferSize, _buffers.Incremental ? "a receive at a time (Linux 6.12)" : "whole, one per receive");
        Log.CompletionWork(_logger, name, _ring.DefersTaskRun ? "when the loop waits (DEFER_TASKRUN, Linux 6.1)" : "as it comes");
    }

    public long Now => Clock.Now;

    /// <summary>The receive buffers: consumed incrementally where the kernel can (Linux 6.12) and <paramref name="whole"/> does not say otherwise, else whole.</summary>
    private static UringBufferRing RegisterBuffers(UringRing ring, bool whole)
    {
        if (whole)
            return new UringBufferRing(ring, BufferGroup, WholeBufferCount, WholeBufferSize);
        try
        {
            return new UringBufferRing(ring, BufferGroup, IncrementalBufferCount, IncrementalBufferSize, incremental: true);
        }
        catch (System.ComponentModel.Win32Exception e) when (e.NativeErrorCode == EINVAL)
        {
            return new UringBufferRing(ring, BufferGroup, WholeBufferCount, WholeBufferSize);
        }
    }

    long ILoopMeasurements.BusyTicks => Volatile.Read(ref _busyTicks);

    long ILoopMeasurements.Waits => Volatile.Read(ref _waits);

    long ILoopMeasurements.Events => Volatile.Read(ref _events);

    public Task Stopped => _stopped.Task;

    /// <summary>Completes once the loop's thread owns its ring and serves; faults with the <see cref="Win32Exception"/> that kept it from owning it.</summary>
    public Task Bound => _bound.Task;

    public bool IsLoopThread => Thread.CurrentThread == _thread;

    internal UringBufferRing Buffers => _buffers;

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

    /// <summary>Asks for <paramref name="connection"/>'s output to be sent at the end of this turn.</summary>
    public void RequestFlush(UringConnection connection)
    {
        if (IsLoopThread)
            _flushes.Add(connection);
        else
            RequestFlushFromElsewhere(connection);
    }

    private void AddFromElsewhere(ConnectionTimer timer) => Execute(() => _timers.Add(timer));

    private void RequestFlushFromElsewhere(UringConnection connection) => Execute(() => _flushes.Add(connection));

    /// <summary>Asks for <paramref name="connection"/>'s multishot receive to be armed again at the end of this turn. Loop thread only.</summary>
    public void RequestReceive(UringConnection connection) => _receives.Add(connection);

    /// <summary>
    /// Gives an accepted socket a slot, arms its receive and starts it; false, with nothing
    /// started or kept, if the kernel would not take its options: the caller withdraws it. Loop
    /// thread only.
    /// </summary>
    public bool TryAdopt(UringConnection connection, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out Exception? error)
    {
        try
        {
            SocketIo.SetNoDelay(connection.Handle);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            error = e;
            return false;
        }

        int slot;
        if (_freeSlots.Count > 0)
            slot = _freeSlots.Pop();
        else
        {
            slot = _slots.Count;
            _slots.Add(null);
        }

        _slots[slot] = connection;
        connection.Slot = slot;
        connection.ArmReceive();
        connection.Start();
        error = null;
        return true;
    }

    /// <summary>Frees a connection's slot and closes its socket, once none of its operations is in flight. Loop thread only.</summary>
    public void Forget(UringConnection connection)
    {
        if (connection.Slot != NoSlot && _slots[connection.Slot] == connection)
        {
            _slots[connection.Slot] = null;
            _freeSlots.Push(connection.Slot);
        }

        connection.Slot = NoSlot;
        connection.Handle.Dispose();
    }

    public void PrepareReceive(UringConnection connection)
    {
        ref var sqe = ref _ring.NextSqe();
        sqe.Opcode = IORING_OP_RECV;
        sqe.Fd = Fd(connection.Handle);
        sqe.IoPrio = IORING_RECV_MULTISHOT;
        sqe.Flags = IOSQE_BUFFER_SELECT;
        sqe.BufGroup = BufferGroup;
        sqe.UserData = UserData(Operation.Receive, connection.Slot);
        _inFlight++;
    }

    public void PrepareSend(UringConnection connection, byte* data, int length)
    {
        ref var sqe = ref _ring.NextSqe();
        sqe.Opcode = IORING_OP_SEND;
        sqe.Fd = Fd(connection.Handle);
        sqe.Addr = (ulong)data;
        sqe.Len = (uint)length;
        sqe.OpFlags = MSG_NOSIGNAL;
        sqe.UserData = UserData(Operation.Send, connection.Slot);
        _inFlight++;
    }

    /// <summary>Sends the <see cref="Interop.Interop.MsgHdr"/> at <paramref name="message"/> (a gathering write of several segments).</summary>
    public void PrepareSendMessage(UringConnection connection, Interop.Interop.MsgHdr* message)
    {
        ref var sqe = ref _ring.NextSqe();
        sqe.Opcode = IORING_OP_SENDMSG;
        sqe.Fd = Fd(connection.Handle);
        sqe.Addr = (ulong)message;
        sqe.Len = 1;
        sqe.OpFlags = MSG_NOSIGNAL;
        sqe.UserData = UserData(Operation.Send, connection.Slot);
        _inFlight++;
    }

    /// <summary>Cancels <paramref name="connection"/>'s multishot receive alone (its output is backing up).</summary>
    public void PrepareCancelReceive(UringConnection connection)
    {
        ref var sqe = ref _ring.NextSqe();
        sqe.Opcode = IORING_OP_ASYNC_CANCEL;
        sqe.Addr = UserData(Operation.Receive, connection.Slot);
        sqe.UserData = UserData(Operation.Cancel, connection.Slot);
        _inFlight++;
    }

    /// <summary>Room for the runs of one gathering write, lent to one connection's <see cref="UringConnection.Flush"/> at a time. Loop thread only.</summary>
    internal ReadOnlyMemory<byte>[] GatherScratch { get; } = new ReadOnlyMemory<byte>[UringConnection.MaxGather];

    /// <summary>Cancels every operation in flight on <paramref name="connection"/>'s socket (IORING_ASYNC_CANCEL_FD | ALL).</summary>
    public void PrepareCancel(UringConnection connection)
    {
        ref var sqe = ref _ring.NextSqe();
        sqe.Opcode = IORING_OP_ASYNC_CANCEL;
        sqe.Fd = Fd(connection.Handle);
        sqe.OpFlags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
        sqe.UserData = UserData(Operation.Cancel, connection.Slot);
        _inFlight++;
    }

    /// <summary>Ends the loop after its current turn and closes what it still holds.</summary>
    public void Stop()
    {
        _stopping = true;
        Wake();
    }

    public void Dispose()
    {
        if ((_thread.ThreadState & ThreadState.Unstarted) == 0 && !IsLoopThread)
            _thread.Join();
        _spare.Dispose();
        _listenerClosed.TrySetResult(); // a loop that never ran has no listener to wait for
        if (_ring.Handle.IsClosed)
            return;
        _ring.Dispose(); // first: no receive can land in the buffers once the ring is gone
        if (!_leakBuffers)
            _buffers.Dispose();
        _eventFd.Dispose();
        NativeMemory.Free(_wakeValue);
    }

    private static ulong UserData(Operation op, int slot) => ((ulong)op << 32) | (uint)slot;

    private static int Fd(SafeHandle socket) => (int)socket.DangerousGetHandle();

    private void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            ulong one = 1;
            try
            {
                Write(_eventFd, &one, sizeof(ulong));
            }
            catch (ObjectDisposedException)
            {
                // The loop is gone: work posted to it would never run anyway.
            }
        }
    }

    private void ArmWake()
    {
        ref var sqe = ref _ring.NextSqe();
        sqe.Opcode = IORING_OP_READ;
        sqe.Fd = (int)_eventFd.DangerousGetHandle(); // open while the loop runs
        sqe.Addr = (ulong)_wakeValue;
        sqe.Len = sizeof(ulong);
        sqe.UserData = UserData(Operation.Wake, NoSlot);
        _inFlight++;
    }

    private void Run()
    {
        bool bound = false;
        try
        {
            _ring.BindToCurrentThread();
            bound = true;
            _bound.TrySetResult();
            ArmWake();
            if (_listener is not null)
                ArmAccept();
            while (!_stopping)
            {
                long timeout = WaitTimeout();
                int error = _ring.SubmitAndWait(timeout == 0 ? 0u : 1u, timeout);
                if (error != 0 && error is not (EBUSY or Interop.Interop.Errno.EAGAIN))
                    OnEnterFailed(error);
                long start = ServerMetrics.MeasuresLoopBusy ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
                Volatile.Write(ref _waits, _waits + 1);
                Reap();
                RunPosted();
                FireDueTimers();
                FlushRequested();
                ArmRequestedReceives();
                if (start != 0)
                    Volatile.Write(ref _busyTicks, _busyTicks + (System.Diagnostics.Stopwatch.GetTimestamp() - start));
            }
        }
        catch (Win32Exception e)
        {
            Log.LoopFailed(_logger, _thread.Name!, e.Message);
            _bound.TrySetException(e); // unless it was bound: then the loop served, and its starter has moved on
            DropEveryone(e); // their OnDisconnected, on this thread, while the ring can still cancel
        }
        finally
        {
            _bound.TrySetException(new InvalidOperationException($"{_thread.Name} ended before it served")); // stopped before it began
            if (bound)
                Drain(); // unbound, nothing was ever submitted
            foreach (var connection in _slots)
                connection?.Handle.Dispose();
            StopListening();
            if (bound)
                _ring.ReleaseFromCurrentThread();
            _stopped.TrySetResult();
        }
    }

    /// <summary>The loop is ending on an error: every connection is told, here, since nothing will run posted work after.</summary>
    private void DropEveryone(Exception e)
    {
        foreach (var connection in _slots.Where(c => c is not null).ToArray())
        {
            try
            {
                connection!.Disconnect(Protocols.DisconnectReason.Error, e);
                RunPosted();
            }
            catch (Exception again) when (again is Win32Exception or ObjectDisposedException)
            {
                // The ring itself is gone: the connection's socket is closed below all the same.
            }
        }
    }

    /// <summary>The wait itself failed: the loop cannot tell which operation is at fault, so it drops its connections (freeing what ran out) and carries on.</summary>
    private void OnEnterFailed(int error)
    {
        var e = new Win32Exception(error);
        var open = _slots.Where(c => c is not null).ToArray();
        if (_logger.IsEnabled(LogLevel.Error))
            Log.WaitFailed(_logger, _thread.Name!, e.Message, Counted.Of(open.Length, "connection"));
        foreach (var connection in open)
            connection!.Disconnect(Protocols.DisconnectReason.Error, e);
    }

    private void Reap()
    {
        int n;
        while ((n = _ring.TakeCompletions(_completions)) > 0)
        {
            Volatile.Write(ref _events, _events + n);
            for (int i = 0; i < n; i++)
                Complete(in _completions[i]);
        }
    }

    private void Complete(in Cqe cqe)
    {
        bool more = (cqe.Flags & IORING_CQE_F_MORE) != 0;
        if (!more)
            _inFlight--;
        var op = (Operation)(cqe.UserData >> 32);
        int slot = (int)(uint)cqe.UserData;
        switch (op)
        {
            case Operation.Wake:
                // Only now, with the count read and the posted work not yet run: a Wake() that saw
                // the flag still set enqueued its work before, so RunPosted will find it.
                Interlocked.Exchange(ref _wakePending, 0); // a full fence: the queue's emptiness is read after it
                if (!_stopping)
                    ArmWake();
                break;
            case Operation.Accept:
                OnAcceptCompleted(cqe.Res, more, slot == MultishotSlot);
                break;
            case Operation.AcceptCancel:
                break;
            default:
                var connection = slot < _slots.Count ? _slots[slot] : null;
                if (connection is null)
                {
                    ReturnBuffer(cqe); // cannot happen while slots are reused only when idle; keep the buffer anyway
                    break;
                }

                switch (op)
                {
                    case Operation.Receive:
                        connection.OnReceiveCompleted(cqe.Res, cqe.Flags, more);
                        break;
                    case Operation.Send:
                        connection.OnSendCompleted(cqe.Res);
                        break;
                    case Operation.Cancel:
                        connection.OnCancelCompleted();
                        break;
                }

                break;
        }
    }

    private void ReturnBuffer(in Cqe cqe)
    {
        if ((cqe.Flags & IORING_CQE_F_BUFFER) != 0)
        {
            _buffers.Take(cqe.Flags, cqe.Res); // skipped, but counted: an incremental buffer's next bytes start after them
            _buffers.Finish(cqe.Flags, cqe.Res);
        }
    }

    /// <summary>
    /// At the loop's end: cancels everything in flight and waits (a second at most) for the
    /// completions, so that the kernel is done with the buffers and the sockets before they are freed.
    /// </summary>
    private void Drain()
    {
        try
        {
            _ring.SubmitAndWait(0, 0); // room for the cancel, even when the queue was full
            ref var sqe = ref _ring.NextSqe();
            sqe.Opcode = IORING_OP_ASYNC_CANCEL;
            sqe.OpFlags = IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL;
            sqe.UserData = UserData(Operation.AcceptCancel, NoSlot);
            _inFlight++;
            long deadline = Clock.Now + Clock.ToTicks(TimeSpan.FromSeconds(1));
            while (_inFlight > 0 && Clock.Now < deadline)
            {
                _ring.SubmitAndWait(1, 50_000_000);
                int n;
                while ((n = _ring.TakeCompletions(_completions)) > 0)
                {
                    for (int i = 0; i < n; i++)
                    {
                        ref readonly var cqe = ref _completions[i];
                        if ((cqe.Flags & IORING_CQE_F_MORE) == 0)
                            _inFlight--;
                        if ((Operation)(cqe.UserData >> 32) == Operation.Accept && cqe.Res >= 0)
                            _ = Interop.Interop.Fcntl.Close(cqe.Res); // a client accepted as the loop ends: never served
                        ReturnBuffer(in cqe);
                    }
                }
            }
        }
        catch (Win32Exception)
        {
            // Nothing more to do here; what is still in flight is left as it is, below.
        }

        if (_inFlight > 0)
        {
            // The kernel may still write into the receive buffers or read the send buffers: they
            // are left to the process (a leak, once, at a loop's failed end) rather than freed
            // under it.
            _leakBuffers = true;
            return;
        }

        foreach (var connection in _slots)
            connection?.ReleasePinnedOutput();
    }

    private void RunPosted()
    {
        while (_posted.TryDequeue(out var action))
        {
            try
            {
                action();
            }
            catch (System.Net.Sockets.SocketException e)
            {
                // One connection's socket failing (a peer gone before its options were set, say)
                // is that connection's end, not the loop's: SocketException is a Win32Exception,
                // which Run takes for the ring failing.
                Log.PostedFailed(_logger, _thread.Name!, e.Message);
            }
        }
    }

    private void FireDueTimers()
    {
        long now = Clock.Now;
        while (_timers.TryTakeDue(now, out var timer))
        {
            if (timer.Fire(now))
                _timers.Add(timer);
        }
    }

    private void FlushRequested()
    {
        for (int i = 0; i < _flushes.Count; i++)
            _flushes[i].Flush();
        _flushes.Clear();
    }

    private void ArmRequestedReceives()
    {
        for (int i = 0; i < _receives.Count; i++)
            _receives[i].ArmReceive();
        _receives.Clear();
    }

    /// <summary>Nanoseconds to wait: 0 not at all (work is waiting), -1 without limit.</summary>
    private long WaitTimeout()
    {
        if (!_posted.IsEmpty || _flushes.Count > 0 || _receives.Count > 0)
            return 0;
        if (_timers.NextDue is not { } due)
            return -1;
        long ticks = due - Clock.Now;
        return ticks <= 0 ? 0 : (long)Math.Min(long.MaxValue / 2, Clock.ToTimeSpan(ticks).Ticks * 100);
    }

    private enum Operation : byte
    {
        Wake = 1,
        Accept = 2,
        AcceptCancel = 3,
        Receive = 4,
        Send = 5,
        Cancel = 6,
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 240, Level = LogLevel.Error, Message = "{Loop}: io_uring_enter failed ({Error}); dropping its {Connections}")]
        public static partial void WaitFailed(ILogger logger, string loop, string error, string connections);

        [LoggerMessage(EventId = 241, Level = LogLevel.Error, Message = "{Loop}: the io_uring loop failed ({Error}) and stops")]
        public static partial void LoopFailed(ILogger logger, string loop, string error);

        [LoggerMessage(EventId = 242, Level = LogLevel.Warning, Message = "{Loop}: a socket failed in work handed to the loop ({Error}); the loop goes on")]
        public static partial void PostedFailed(ILogger logger, string loop, string error);

        [LoggerMessage(EventId = 243, Level = LogLevel.Debug, Message = "{Loop}: near the descriptor limit ({Headroom} connections left): accepting {Depth} clients at a time")]
        public static partial void AcceptingSingleShot(ILogger logger, string loop, int headroom, int depth);

        [LoggerMessage(EventId = 244, Level = LogLevel.Debug, Message = "{Loop}: far from the descriptor limit again ({Headroom} connections left): one multishot accept")]
        public static partial void AcceptingMultishot(ILogger logger, string loop, int headroom);

        [LoggerMessage(EventId = 245, Level = LogLevel.Debug, Message = "{Loop}: receive buffers: {Count} of {Size} bytes, consumed {How}")]
        public static partial void ReceiveBuffers(ILogger logger, string loop, int count, int size, string how);

        [LoggerMessage(EventId = 246, Level = LogLevel.Debug, Message = "{Loop}: the kernel does completions' work {When}")]
        public static partial void CompletionWork(ILogger logger, string loop, string when);
    }
}
