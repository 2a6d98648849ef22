using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Switchboard.Engines.Readiness;

/// <summary>
/// <c>Socket.Select</c>: the seed's <c>select()</c>. On Linux .NET implements it with
/// <c>poll()</c> (dotnet/runtime <c>SocketPal.Unix.cs</c>), so unlike C's <c>select</c> it is not
/// capped at FD_SETSIZE (1,024) descriptors; each list may hold up to 65,536 sockets. Its cost is
/// the lists: rebuilt and scanned on every wait, O(connections) per wake-up. The loops hand
/// descriptors' handles, so each is wrapped in a .NET <see cref="Socket"/> for <c>Select</c> while
/// registered; the wrapper never closes it (its owner does).
/// </summary>
internal sealed class SelectMultiplexer : IMultiplexer
{
    private readonly Dictionary<int, (Socket Socket, Interest Interest)> _registered = [];
    private readonly Dictionary<Socket, int> _tokens = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<int, ReadyEvent> _merged = [];
    private readonly List<Socket> _read = [];
    private readonly List<Socket> _write = [];

    public void Add(SafeHandle handle, int token, Interest interest)
    {
        // A handle that does not own the descriptor: finalizing the wrapper leaves it open; closing
        // it is the connection's (or the loop's) business.
        var socket = new Socket(new SafeSocketHandle(handle.DangerousGetHandle(), ownsHandle: false));
        _registered.Add(token, (socket, interest));
        _tokens.Add(socket, token);
    }

    public void Modify(SafeHandle handle, int token, Interest interest) =>
        _registered[token] = (_registered[token].Socket, interest);

    public void Remove(SafeHandle handle, int token)
    {
        if (_registered.Remove(token, out var registered))
            _tokens.Remove(registered.Socket); // never disposed: .NET's close would act on the descriptor it does not own
    }

    public void Wait(int timeoutMilliseconds, List<ReadyEvent> ready)
    {
        ready.Clear();
        _read.Clear();
        _write.Clear();
        foreach (var (socket, interest) in _registered.Values)
        {
            if ((interest & Interest.Read) != 0)
                _read.Add(socket);
            if ((interest & Interest.Write) != 0)
                _write.Add(socket);
        }

        int micros = timeoutMilliseconds < 0 ? -1 : (int)Math.Min(int.MaxValue, timeoutMilliseconds * 1000L);
        // No error list: .NET passes each list entry to poll() as its own descriptor, and poll()
        // refuses more entries than RLIMIT_NOFILE. Errors surface anyway, through the read.
        Socket.Select(_read, _write.Count > 0 ? _write : null, null, micros);

        _merged.Clear();
        foreach (var socket in _read)
            Merge(socket, Interest.Read);
        foreach (var socket in _write)
            Merge(socket, Interest.Write);
        ready.AddRange(_merged.Values);
    }

    public void Dispose()
    {
    }

    private void Merge(Socket socket, Interest interest)
    {
        int token = _tokens[socket];
        _merged[token] = _merged.TryGetValue(token, out var seen)
            ? seen with { Ready = seen.Ready | interest }
            : new ReadyEvent(token, interest, Failed: false);
    }
}
