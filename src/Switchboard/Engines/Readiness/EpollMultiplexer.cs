using System.Net.Sockets;
using System.Runtime.InteropServices;
using Switchboard.Interop;
using static Switchboard.Interop.Interop;
using static Switchboard.Interop.Interop.Epoll;

namespace Switchboard.Engines.Readiness;

/// <summary>Makes the epoll multiplexer with this machine's <c>struct epoll_event</c>.</summary>
internal static class EpollMultiplexer
{
    /// <summary>A new epoll set, its events laid out as the kernel here expects.</summary>
    public static IMultiplexer Create() =>
        IsPacked ? new EpollMultiplexer<PackedEpollEvent>() : new EpollMultiplexer<AlignedEpollEvent>();
}

/// <summary>
/// <c>epoll(7)</c>, level-triggered: the kernel keeps the interest set, so a wait costs
/// O(ready sockets), not O(connections). The token rides in the event's data field.
/// </summary>
/// <typeparam name="TEvent">This machine's <c>struct epoll_event</c> (see <see cref="EpollMultiplexer.Create"/>).</typeparam>
internal sealed class EpollMultiplexer<TEvent> : IMultiplexer
    where TEvent : unmanaged, IEpollEvent<TEvent>
{
    private const int MaxEventsPerWait = 256;

    private readonly SafeEpollHandle _epoll;
    private readonly TEvent[] _events = new TEvent[MaxEventsPerWait];

    public EpollMultiplexer()
    {
        _epoll = Epoll.Create(EPOLL_CLOEXEC);
        if (_epoll.IsInvalid)
        {
            var error = LastError("epoll_create1");
            _epoll.Dispose();
            throw error;
        }
    }

    public void Add(SafeHandle socket, int token, Interest interest) => Control(EPOLL_CTL_ADD, socket, token, interest, "epoll_ctl(ADD)");

    public void Modify(SafeHandle socket, int token, Interest interest) => Control(EPOLL_CTL_MOD, socket, token, interest, "epoll_ctl(MOD)");

    public unsafe void Remove(SafeHandle socket, int token)
    {
        // Failure is harmless here: closing the descriptor removes it from the set anyway.
        var ignored = default(TEvent);
        _ = Epoll.Control(_epoll, EPOLL_CTL_DEL, (int)socket.DangerousGetHandle(), &ignored);
    }

    public unsafe void Wait(int timeoutMilliseconds, List<ReadyEvent> ready)
    {
        ready.Clear();
        int n;
        fixed (TEvent* events = _events)
            n = Epoll.Wait(_epoll, events, _events.Length, timeoutMilliseconds);
        if (n < 0)
        {
            if (Marshal.GetLastPInvokeError() == Errno.EINTR)
                return;
            throw LastError("epoll_wait");
        }

        for (int i = 0; i < n; i++)
        {
            uint events = _events[i].Events;
            var interest = ((events & EPOLLIN) != 0 ? Interest.Read : Interest.None) | ((events & EPOLLOUT) != 0 ? Interest.Write : Interest.None);
            ready.Add(new ReadyEvent((int)_events[i].Data, interest, (events & (EPOLLERR | EPOLLHUP)) != 0));
        }
    }

    public void Dispose() => _epoll.Dispose();

    private unsafe void Control(int op, SafeHandle socket, int token, Interest interest, string call)
    {
        var ev = TEvent.Of(((interest & Interest.Read) != 0 ? EPOLLIN : 0) | ((interest & Interest.Write) != 0 ? EPOLLOUT : 0), (ulong)token);
        if (Epoll.Control(_epoll, op, (int)socket.DangerousGetHandle(), &ev) != 0)
            throw LastError(call);
    }
}
