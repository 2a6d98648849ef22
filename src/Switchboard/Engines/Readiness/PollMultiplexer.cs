using System.Net.Sockets;
using System.Runtime.InteropServices;
using static Switchboard.Interop.Interop;
using static Switchboard.Interop.Interop.Poll;

namespace Switchboard.Engines.Readiness;

/// <summary>
/// <c>poll(2)</c> over a dense array of descriptors: registration is O(1) (removal swaps the last
/// entry into the hole), each wait passes and scans the whole array, O(connections).
/// </summary>
internal sealed class PollMultiplexer : IMultiplexer
{
    private PollFd[] _fds = new PollFd[64];
    private int[] _tokens = new int[64];
    private readonly Dictionary<int, int> _slotOfToken = [];
    private int _count;

    public void Add(SafeHandle socket, int token, Interest interest)
    {
        if (_count == _fds.Length)
        {
            Array.Resize(ref _fds, _count * 2);
            Array.Resize(ref _tokens, _count * 2);
        }

        _fds[_count] = new PollFd { Fd = (int)socket.DangerousGetHandle(), Events = ToEvents(interest) };
        _tokens[_count] = token;
        _slotOfToken.Add(token, _count);
        _count++;
    }

    public void Modify(SafeHandle socket, int token, Interest interest) => _fds[_slotOfToken[token]].Events = ToEvents(interest);

    public void Remove(SafeHandle socket, int token)
    {
        if (!_slotOfToken.Remove(token, out int slot))
            return;
        int last = --_count;
        if (slot != last)
        {
            _fds[slot] = _fds[last];
            _tokens[slot] = _tokens[last];
            _slotOfToken[_tokens[slot]] = slot;
        }
    }

    public unsafe void Wait(int timeoutMilliseconds, List<ReadyEvent> ready)
    {
        ready.Clear();
        int n;
        fixed (PollFd* fds = _fds)
            n = Poll.Wait(fds, (nuint)_count, timeoutMilliseconds);
        if (n < 0)
        {
            if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Errno.EINTR)
                return;
            throw LastError("poll");
        }

        for (int i = 0; i < _count && ready.Count < n; i++)
        {
            short revents = _fds[i].Revents;
            if (revents == 0)
                continue;
            var interest = ((revents & POLLIN) != 0 ? Interest.Read : Interest.None) | ((revents & POLLOUT) != 0 ? Interest.Write : Interest.None);
            ready.Add(new ReadyEvent(_tokens[i], interest, (revents & (POLLERR | POLLHUP | POLLNVAL)) != 0));
        }
    }

    public void Dispose()
    {
    }

    private static short ToEvents(Interest interest) =>
        (short)(((interest & Interest.Read) != 0 ? POLLIN : 0) | ((interest & Interest.Write) != 0 ? POLLOUT : 0));
}
