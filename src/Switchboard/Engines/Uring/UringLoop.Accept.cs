using System.Net;
using System.Net.Sockets;
using Switchboard.Engines.Timers;
using static Switchboard.Interop.Interop;
using static Switchboard.Interop.Interop.Uring;

namespace Switchboard.Engines.Uring;

// Accepting: one multishot accept on the loop's ring, armed again whenever it ends (an error ends
// it). The listener stays blocking: io_uring answers a non-blocking one with EAGAIN instead of
// waiting for a client.
internal sealed unsafe partial class UringLoop
{
    private Socket? _listener;
    private IPEndPoint? _unreadablePeer;
    private Action<Socket, IPEndPoint>? _onAccepted;
    private Action<Socket?, SocketException>? _onAcceptFailed;
    private readonly TaskCompletionSource _listenerClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _acceptArmed;
    private bool _acceptPaused;

    // A descriptor held in reserve: when accept fails for lack of descriptors, lending it lets us
    // accept the waiting client and tell it so (as ReadinessLoop does).
    private readonly DescriptorReservation _spare = new();

    /// <summary>Completes once the listener is closed and no accept of it is in flight.</summary>
    public Task ListenerClosed => _listenerClosed.Task;

    /// <summary>Makes this loop accept from <paramref name="listener"/>. Call before <see cref="Start"/>.</summary>
    public void Listen(Socket listener, Action<Socket, IPEndPoint> onAccepted, Action<Socket?, SocketException> onAcceptFailed)
    {
        listener.Blocking = true;
        _listener = listener;
        _unreadablePeer = new IPEndPoint(listener.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        _onAccepted = onAccepted;
        _onAcceptFailed = onAcceptFailed;
        _spare.Reserve();
    }

    /// <summary>Stops accepting: cancels the accept and closes the listener. Loop thread only.</summary>
    public void StopListening()
    {
        if (_listener is null)
        {
            _listenerClosed.TrySetResult();
            return;
        }

        if (_acceptArmed && !_ring.Handle.IsClosed)
        {
            ref var sqe = ref _ring.NextSqe();
            sqe.Opcode = IORING_OP_ASYNC_CANCEL;
            sqe.Addr = UserData(Operation.Accept, NoSlot);
            sqe.UserData = UserData(Operation.AcceptCancel, NoSlot);
            _inFlight++;
        }

        _listener.Dispose();
        _listener = null;
        _spare.Release();
        if (!_acceptArmed || _stopping)
            _listenerClosed.TrySetResult();
    }

    private void ArmAccept()
    {
        ref var sqe = ref _ring.NextSqe();
        sqe.Opcode = IORING_OP_ACCEPT;
        sqe.Fd = Fd(_listener!);
        sqe.IoPrio = IORING_ACCEPT_MULTISHOT;
        sqe.OpFlags = SOCK_CLOEXEC; // blocking, for the same reason as the listener
        sqe.UserData = UserData(Operation.Accept, NoSlot);
        _inFlight++;
        _acceptArmed = true;
    }

    private void OnAcceptCompleted(int result, bool more)
    {
        if (!more)
            _acceptArmed = false;
        if (result >= 0)
        {
            if (_listener is null)
            {
                Interop.Interop.Uring.Close(result); // accepted as the accept was being cancelled
            }
            else
            {
                // A multishot accept writes no address per client (one buffer would be overwritten
                // by the next): .NET asks the socket. A peer that has reset already has none, and is
                // served as epoll serves it, under an unspecified address, until its read fails.
                var socket = SocketIo.Adopt(result, default, out var remote, out _, _unreadablePeer);
                if (socket is not null)
                    _onAccepted!(socket, remote!);
            }
        }
        else if (_listener is not null)
        {
            var error = SocketIo.ToSocketError(-result);
            if (error == SocketError.TooManyOpenSockets)
            {
                AcceptWithSpareDescriptor(new SocketException((int)error));
            }
            else if (!SocketIo.IsAcceptedConnectionGone(error) && result != -ECANCELED)
            {
                _onAcceptFailed!(null, new SocketException((int)error));
                PauseAccepting();
            }
        }

        if (_listener is null)
        {
            if (!_acceptArmed)
                _listenerClosed.TrySetResult();
        }
        else if (!_acceptArmed && !_acceptPaused)
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
        if (_listener is not null && !_acceptArmed)
            ArmAccept();
    }

    bool ITimerOwner.IsAlive => !_stopping;

    void ITimerOwner.RunTimer(ConnectionTimer timer) => timer.Action();

    private void AcceptWithSpareDescriptor(SocketException error)
    {
        // No accept is armed (the error ended it): accept the one client without blocking, with
        // the spare descriptor lent, and refuse it; the spare is taken back once it is closed.
        _listener!.Blocking = false;
        try
        {
            using (_spare.Lend())
            {
                var socket = SocketIo.Accept(_listener, out _, out _);
                _onAcceptFailed!(socket, error);
            }
        }
        finally
        {
            _listener.Blocking = true;
        }
    }
}
