using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace Switchboard.Engines.Sockets;

/// <summary>
/// One socket receive or send at a time, awaited without exceptions: the result is the
/// <see cref="SocketError"/>, and <see cref="SocketAsyncEventArgs.BytesTransferred"/> the count.
/// </summary>
/// <remarks>
/// <see cref="Socket.ReceiveAsync(Memory{byte}, SocketFlags, CancellationToken)"/> and its send
/// twin report an error that is there at once (a peer that reset before the read began) as an
/// exception whose stack trace is captured and formatted with file and line information
/// (<c>ExceptionDispatchInfo.SetCurrentStackTrace</c>): System.Diagnostics.StackTrace loaded and
/// .pdb files read for every connection a client resets, under churn. A reset is an ordinary
/// end of a connection, so it is a value here; only the rare failure that reaches the log makes an
/// exception (<see cref="SocketException"/>, which formats nothing).
/// </remarks>
internal sealed class SocketOperation : SocketAsyncEventArgs, IValueTaskSource<SocketError>
{
    private ManualResetValueTaskSourceCore<SocketError> _completion;

    public SocketOperation()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
    }

    /// <summary>Receives into <paramref name="buffer"/> (empty: waits for data to be readable).</summary>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    public ValueTask<SocketError> ReceiveAsync(Socket socket, Memory<byte> buffer)
    {
        SetBuffer(buffer);
        _completion.Reset();
        return socket.ReceiveAsync(this) ? new ValueTask<SocketError>(this, _completion.Version) : new ValueTask<SocketError>(SocketError);
    }

    /// <summary>Sends <paramref name="buffer"/> (as much of it as the socket takes).</summary>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    public ValueTask<SocketError> SendAsync(Socket socket, ReadOnlyMemory<byte> buffer)
    {
        SetBuffer(System.Runtime.InteropServices.MemoryMarshal.AsMemory(buffer));
        _completion.Reset();
        return socket.SendAsync(this) ? new ValueTask<SocketError>(this, _completion.Version) : new ValueTask<SocketError>(SocketError);
    }

    protected override void OnCompleted(SocketAsyncEventArgs e) => _completion.SetResult(SocketError);

    SocketError IValueTaskSource<SocketError>.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<SocketError>.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource<SocketError>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);
}
