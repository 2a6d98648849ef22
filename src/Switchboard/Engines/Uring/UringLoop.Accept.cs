using System.Net;
using System.Net.Sockets;
using Switchboard.Engines.Timers;
using Switchboard.Interop;
using static Switchboard.Interop.Interop;
using static Switchboard.Interop.Interop.Uring;

namespace Switchboard.Engines.Uring;

// Accepting, on the loop's ring, in one of two ways:
// - Far from the descriptor limit, one multishot accept: a completion per client, armed again
//   whenever it ends (an error ends it).
// - Near it, a few single-shot accepts at a time (SingleShotDepth), each armed again as it
//   completes. A multishot accept takes every client in the backlog in one go, each a descriptor,
//   before the loop sees the first: near the limit that would leave the process none (the .NET
//   runtime aborts when it cannot open one it needs), where the readiness loop, accepting one at
//   a time, refuses each client past the budget before taking the next.
// "Far" is more headroom (ServerRuntime.DescriptorHeadroom) than twice the backlog and the
// runtime's reserve: a burst cannot then reach the limit, and the multishot is cancelled as soon
// as the headroom falls under that.
// The listener stays blocking: io_uring answers a non-blocking one with EAGAIN instead of
// waiting for a client.
internal sealed unsafe partial class UringLoop
{
    private const int SingleShotDepth = 8;
    private const int MultishotSlot = 1; // in an accept's user data: which kind it is
    private const int SingleShotSlot = 0;

    private Socket? _listener;
    private IPEndPoint? _unreadablePeer;
    private Action<SafeSocketDescriptor, IPEndPoint>? _onAccepted;
    private Action<SafeSocketDescriptor?, IPEndPoint?, SocketException>? _onAcceptFailed;
    private Func<int>? _headroom;
    private int _burstMargin;
    private readonly TaskCompletionSource _listenerClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _acceptsArmed;     // accepts in flight, of either kind
    private bool _multishotArmed;
    private bool _multishotCancelled;
    private bool _acceptPaused;
    private bool _singleShot; // the mode the last accepts were armed in

    // A descriptor held in reserve: when accept fails for lack of descriptors, lending it lets us
    // accept the waiting client and tell it so (as ReadinessLoop does).
    private readonly DescriptorReservation _spare = new();

    /// <summary>Completes once the listener is closed and no accept of it is in flight.</summary>
    public Task ListenerClosed => _listenerClosed.Task;

    /// <summary>
    /// Makes this loop accept from <paramref name="listener"/>. Call before <see cref="Start"/>.
    /// <paramref name="headroom"/> says how many more connections the descriptor budget allows;
    /// <paramref name="backlog"/> is the listener's.
    /// </summary>
    public void Listen(Socket listener, int backlog, Func<int> headroom, Action<SafeSocketDescriptor, IPEndPoint> onAccepted, Action<SafeSocketDescriptor?, IPEndPoint?, SocketException> onAcceptFailed)
    {
        listener.Blocking = true;
        _listener = listener;
        _unreadablePeer = new IPEndPoint(listener.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        _headroom = headroom;
        _burstMargin = (2 * Math.Max(backlog, 128)) + 64;
        _onAccepted = onAccepted;
        _onAcceptFailed = onAcceptFailed;
        _spare.Reserve();
    }

    /// <summary>Stops accepting: cancels the accepts and closes the listener. Loop thread only.</summary>
    public void StopListening()
    {
        if (_listener is null)
        {
            _listenerClosed.TrySetResult();
            return;
        }

        if (_acceptsArmed > 0 && !_ring.Handle.IsClosed)
        {
            // By user data, not by descriptor: the cancel is submitted with the next enter, when
            // the listener's descriptor is closed already (its file lives on in the accepts).
            CancelAccepts(UserData(Operation.Accept, MultishotSlot));
            CancelAccepts(UserData(Operation.Accept, SingleShotSlot));
        }

        _listener.Dispose();
        _listener = null;
        _spare.Release();
        if (_acceptsArmed == 0 || _stopping)
            _listenerClosed.TrySetResult();
    }

    /// <summary>Cancels every accept in flight with <paramref name="userData"/>.</summary>
    private void CancelAccepts(ulong userData)
    {
        ref var sqe = ref _ring.NextSqe();
        sqe.Opcode = IORING_OP_ASYNC_CANCEL;
        sqe.Addr = userData;
        sqe.OpFlags = IORING_ASYNC_CANCEL_ALL;
        sqe.UserData = UserData(Operation.AcceptCancel, NoSlot);
        _inFlight++;
    }

    /// <summary>Arms what accepting needs now: a multishot accept far from the descriptor limit, single-shot ones near it.</summary>
    private void ArmAccept()
    {
        if (_listener is null || _acceptPaused || _multishotArmed)
            return;
        int headroom = _headroom!();
        if (headroom > _burstMargin)
        {
            // Far from the limit (again): a multishot once the single-shot accepts have drained.
            if (_acceptsArmed == 0)
            {
                if (_singleShot)
                    Log.AcceptingMultishot(_logger, _thread.Name!, headroom);
                _singleShot = false;
                SubmitAccept(IORING_ACCEPT_MULTISHOT, MultishotSlot);
                _multishotArmed = true;
                _multishotCancelled = false;
            }

            return;
        }

        if (!_singleShot)
            Log.AcceptingSingleShot(_logger, _thread.Name!, headroom, SingleShotDepth);
        _singleShot = true;
        while (_acceptsArmed < SingleShotDepth)
            SubmitAccept(0, SingleShotSlot);
    }

    private void SubmitAccept(ushort flags, int kind)
    {
        ref var sqe = ref _ring.NextSqe();
        sqe.Opcode = IORING_OP_ACCEPT;
        sqe.Fd = Fd(_listener!.SafeHandle);
        sqe.IoPrio = flags;
        sqe.OpFlags = SOCK_CLOEXEC; // blocking, for the same reason as the listener
        sqe.UserData = UserData(Operation.Accept, kind);
        _inFlight++;
        _acceptsArmed++;
    }

    private void OnAcceptCompleted(int result, bool more, bool multishot)
    {
        if (!more)
        {
            _acceptsArmed--;
            if (multishot)
                _multishotArmed = false;
        }

        if (result >= 0)
        {
            if (_listener is null)
            {
                Interop.Interop.Fcntl.Close(result); // accepted as the accept was being cancelled
            }
            else
            {
                // A multishot accept writes no address per client (one buffer would be overwritten
                // by the next): the socket is asked. A peer that has reset already has none, and is
                // served as epoll serves it, under an unspecified address, until its read fails.
                var socket = SocketIo.AdoptDescriptor(result, _unreadablePeer!, out var remote);
                if (socket is not null)
                    _onAccepted!(socket, remote!);
                if (_multishotArmed && !_multishotCancelled && _listener is not null && _headroom!() <= _burstMargin)
                {
                    _multishotCancelled = true; // near the limit now: single-shot accepts once it has ended
                    CancelAccepts(UserData(Operation.Accept, MultishotSlot));
                }
            }
        }
        else if (_listener is not null)
        {
            var error = SocketIo.ToSocketError(-result);
            if (error == SocketError.TooManyOpenSockets)
            {
                AcceptWithSpareDescriptor(new SocketException((int)error));
            }
            else if (!SocketIo.IsAcceptedConnectionGone(error) && error != SocketError.WouldBlock && result != -ECANCELED)
            {
                // (WouldBlock: the listener was non-blocking for a moment, for the spare descriptor.)
                _onAcceptFailed!(null, null, new SocketException((int)error));
                PauseAccepting();
            }
        }

        if (_listener is null)
        {
            if (_acceptsArmed == 0)
                _listenerClosed.TrySetResult();
        }
        else if (!more)
        {
            ArmAccept();
        }
    }

    /// <summary>After an accept fails for want of memory or buffers, waits a moment before accepting again, rather than spin.</summary>
    private void PauseAccepting()
    {
        _acceptPaused = true;
        _timers.Add(new ConnectionTimer(this, ResumeAccepting, 0, isInternal: true) { DueTicks = Clock.Now + Clock.ToTicks(ServerRuntime.AcceptRetryDelay) });
    }

    private void ResumeAccepting()
    {
        _acceptPaused = false;
        ArmAccept();
    }

    bool ITimerOwner.IsAlive => !_stopping;

    void ITimerOwner.RunTimer(ConnectionTimer timer) => timer.Action();

    private void AcceptWithSpareDescriptor(SocketException error)
    {
        // Accept the one client without blocking, with the spare descriptor lent, and refuse it;
        // the spare is taken back once it is closed. The listener is non-blocking meanwhile (an
        // accept of the ring's that retries then finds EAGAIN, and is armed again).
        _listener!.Blocking = false;
        try
        {
            using (_spare.Lend())
            {
                var socket = SocketIo.AcceptHandle(_listener, out var remote, out _);
                _onAcceptFailed!(socket, remote, error);
            }
        }
        finally
        {
            _listener.Blocking = true;
        }
    }
}
