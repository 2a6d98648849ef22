using System.Net;
using System.Net.Sockets;
using Switchboard.Engines.Timers;
using Switchboard.Interop;
using static Switchboard.Interop.Interop;

namespace Switchboard.Engines.Readiness;

// The loop owns timers of its own besides its connections' (ITimerOwner): the accept pause.
internal sealed partial class ReadinessLoop : ITimerOwner
{
    private const int MaxAcceptsPerWake = 64;

    private Socket? _listener;
    private Action<SafeSocketDescriptor, IPEndPoint>? _onAccepted;
    private Action<SafeSocketDescriptor?, IPEndPoint?, SocketException>? _onAcceptFailed;

    // A descriptor held in reserve: when accept fails for lack of descriptors, lending it lets us
    // accept the waiting client and tell it so, instead of leaving it in the backlog while the
    // level-triggered listener wakes the loop over and over.
    private readonly DescriptorReservation _spare = new();

    /// <summary>Makes this loop accept from <paramref name="listener"/>. Call before <see cref="Start"/>.</summary>
    public void Listen(Socket listener, Action<SafeSocketDescriptor, IPEndPoint> onAccepted, Action<SafeSocketDescriptor?, IPEndPoint?, SocketException> onAcceptFailed)
    {
        listener.Blocking = false;
        _listener = listener;
        _onAccepted = onAccepted;
        _onAcceptFailed = onAcceptFailed;
        _spare.Reserve();
        _multiplexer.Add(listener.SafeHandle, ListenerToken, Interest.Read);
    }

    /// <summary>Stops accepting and closes the listener. Loop thread only.</summary>
    public void StopListening()
    {
        if (_listener is null)
            return;
        _multiplexer.Remove(_listener.SafeHandle, ListenerToken);
        _listener.Dispose();
        _listener = null;
        _spare.Release();
    }

    private void AcceptReady()
    {
        for (int i = 0; i < MaxAcceptsPerWake && _listener is not null; i++)
        {
            var socket = SocketIo.AcceptHandle(_listener, out var remote, out var error);
            switch (error)
            {
                case SocketError.Success:
                    _onAccepted!(socket!, remote!);
                    break;
                case SocketError.WouldBlock:
                    return;
                case var gone when SocketIo.IsAcceptedConnectionGone(gone) || gone == SocketError.AddressFamilyNotSupported:
                    break; // that client left (or is no IP peer); take the next
                case SocketError.TooManyOpenSockets:
                    AcceptWithSpareDescriptor(new SocketException((int)error));
                    return;
                default:
                    _onAcceptFailed!(null, null, new SocketException((int)error));
                    PauseAccepting();
                    return;
            }
        }
    }

    /// <summary>
    /// After an accept fails for want of memory or buffers, leaves the listener out of the wait for
    /// a moment, on the loop's own timer heap: it stays readable (level-triggered), and retrying at
    /// once would spin.
    /// </summary>
    private void PauseAccepting()
    {
        _multiplexer.Modify(_listener!.SafeHandle, ListenerToken, Interest.None);
        _timers.Add(new ConnectionTimer(this, ResumeAccepting, 0, isInternal: true) { DueTicks = Clock.Now + Clock.ToTicks(ServerRuntime.AcceptRetryDelay) });
    }

    private void ResumeAccepting()
    {
        if (_listener is not null)
            _multiplexer.Modify(_listener.SafeHandle, ListenerToken, Interest.Read);
    }

    bool ITimerOwner.IsAlive => !_stopping;

    void ITimerOwner.RunTimer(ConnectionTimer timer) => timer.Action();

    private void AcceptWithSpareDescriptor(SocketException error)
    {
        // The spare is taken back once the refused client is closed. The accept may fail if someone
        // else took the descriptor (or there was none to spare): the client stays in the backlog for now.
        using (_spare.Lend())
        {
            var socket = SocketIo.AcceptHandle(_listener!, out var remote, out _);
            _onAcceptFailed!(socket, remote, error);
        }
    }
}
