using System.Buffers;
using System.Net.Sockets;
using Switchboard.Engines.Timers;
using Switchboard.Protocols;

namespace Switchboard.Engines.Sockets;

/// <summary>
/// A connection over a .NET <see cref="Socket"/>, read either by a blocking loop on a thread of
/// its own (iterative, threading) or by an async loop (async). Output, in both cases, is written
/// by an async send pump that runs only while output is pending, so <see cref="ConnectionBase.Send"/>
/// never blocks.
/// </summary>
/// <remarks>
/// The pump is never started on the spot, so that what is sent close together leaves in one
/// write. A connection answering what it just read starts it when the read has been handed over
/// (every answer to one read in one send, with no hand-off), and its greeting before its first
/// read. Any other sender queues it to the thread pool (the connection is its own work item, so
/// queuing allocates nothing), on the sender's own queue when it is a pool thread: it runs once
/// the work in hand is done, and
/// whatever else is sent to the connection before it runs joins the same write. One chat line to
/// a thousand members is then a thousand appends and a thousand queued pumps, and the lines said
/// while those pumps wait go out with them: under load one send carries many lines, as a readiness
/// loop's end-of-turn flush does (docs/benchmarks.md, "Fan-out on async and threading").
/// </remarks>
internal sealed class SocketConnection : ConnectionBase, IThreadPoolWorkItem
{
    private const int BlockingReceiveBufferSize = 16 * 1024;
    private const int AsyncReceiveBufferSize = 8 * 1024;

    // After a graceful close, how long to keep reading out what the peer still sends.
    private static readonly TimeSpan LingerTimeout = TimeSpan.FromSeconds(2);

    // The connection this thread is starting or handing received bytes to, if any.
    [ThreadStatic]
    private static SocketConnection? t_serving;

    private readonly Socket _socket;
    private bool _pumpAfterDelivery; // read and written only by the thread in StartHere or Deliver
    private volatile bool _endOfStream;
    private int _disposed;

    public SocketConnection(long id, Socket socket, Protocol protocol, IConnectionHost host, ITimerScheduler timers)
        : base(id, socket.RemoteEndPoint!, socket.LocalEndPoint!, protocol, host, timers)
    {
        _socket = socket;
        _socket.NoDelay = true;
    }

    /// <summary>The socket, for an engine that cannot start this connection after all (<see cref="ServerRuntime.Withdraw(ConnectionBase, Socket, Diagnostics.Refusal)"/>).</summary>
    public Socket Socket => _socket;

    /// <summary>Serves the connection on the calling thread until the socket is done with.</summary>
    public void RunBlocking()
    {
        StartHere();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BlockingReceiveBufferSize);
        try
        {
            while (true)
            {
                int n;
                try
                {
                    n = _socket.Receive(buffer);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    OnReceiveFailed(e);
                    return;
                }

                if (n == 0)
                {
                    OnEndOfStream();
                    return;
                }

                Deliver(buffer.AsSpan(0, n));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Serves the connection with async receives until the socket is done with.</summary>
    public async Task RunAsync()
    {
        StartHere();
        // Errors come back as values (see SocketOperation): a reset costs no stack trace.
        using var receive = new SocketOperation();
        while (true)
        {
            byte[]? buffer = null;
            int n;
            try
            {
                // Wait for data with no buffer (as Kestrel does), so idle connections hold none.
                var error = await receive.ReceiveAsync(_socket, Memory<byte>.Empty).ConfigureAwait(false);
                if (error == SocketError.Success)
                {
                    buffer = ArrayPool<byte>.Shared.Rent(AsyncReceiveBufferSize);
                    error = await receive.ReceiveAsync(_socket, buffer.AsMemory()).ConfigureAwait(false);
                }

                if (error != SocketError.Success)
                {
                    OnReceiveFailed(new SocketException((int)error));
                    return;
                }

                n = receive.BytesTransferred;
                if (n > 0)
                    Deliver(buffer.AsSpan(0, n));
            }
            catch (ObjectDisposedException e)
            {
                OnReceiveFailed(e);
                return;
            }
            finally
            {
                if (buffer is not null)
                {
                    receive.SetBuffer(Memory<byte>.Empty); // let go of the array before the pool hands it out again
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            if (n == 0)
            {
                OnEndOfStream();
                return;
            }
        }
    }

    protected override void StartWriting()
    {
        if (ReferenceEquals(t_serving, this))
            _pumpAfterDelivery = true;
        else
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
    }

    /// <summary>The queued pump's start (<see cref="StartWriting"/>).</summary>
    void IThreadPoolWorkItem.Execute() => _ = PumpAsync();

    protected override void CloseTransport(bool graceful)
    {
        DiscardOutput(); // a chunk the pump is sending goes back to the pool when the send returns

        if (!graceful || _endOfStream)
        {
            DisposeSocket();
            return;
        }

        // Lingering close: send our FIN, then let the receive loop read out whatever the peer
        // still sends until it closes too (or the linger time passes). Closing a socket with
        // unread input makes the kernel send a reset, which can destroy the reply we just flushed.
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            DisposeSocket();
            return;
        }

        // A runtime timer, not a connection timer: it must fire even after the server has stopped.
        var linger = new CancellationTokenSource(LingerTimeout);
        linger.Token.UnsafeRegister(
            static state =>
            {
                var (connection, source) = ((SocketConnection, CancellationTokenSource))state!;
                connection.DisposeSocket();
                source.Dispose();
            },
            (this, linger));
    }

    /// <summary>
    /// Starts the connection (<c>OnConnected</c>) and sends what it says from this thread, before
    /// the first read: a blocking read must not begin while another thread's first send is
    /// switching the socket to non-blocking mode.
    /// </summary>
    private void StartHere()
    {
        t_serving = this;
        try
        {
            Start();
        }
        finally
        {
            t_serving = null;
            PumpIfClaimed();
        }
    }

    /// <summary>Hands a read to the protocol, then starts the pump if its answers claimed one.</summary>
    private void Deliver(ReadOnlySpan<byte> data)
    {
        t_serving = this;
        try
        {
            DeliverReceived(data);
        }
        finally
        {
            t_serving = null;
            PumpIfClaimed();
        }
    }

    /// <summary>Starts the pump a send on this thread claimed (even if the callback then threw: the claimed writer must run).</summary>
    private void PumpIfClaimed()
    {
        if (_pumpAfterDelivery)
        {
            _pumpAfterDelivery = false;
            _ = PumpAsync();
        }
    }

    private void OnEndOfStream()
    {
        _endOfStream = true;
        if (State == ConnectionState.Closed)
            DisposeSocket();
        else if (State == ConnectionState.Open && Interop.Interop.TcpState.IsReset(_socket))
            Disconnect(DisconnectReason.Error, new SocketException((int)SocketError.ConnectionReset)); // the send pump took the error first
        else
            OnRemoteClosed();
    }

    private void OnReceiveFailed(Exception e)
    {
        if (State == ConnectionState.Closed)
            DisposeSocket();
        else
            Disconnect(DisconnectReason.Error, e);
    }

    /// <summary>The writer: sends queued output until there is none, then stops (the next Send starts it again).</summary>
    private async Task PumpAsync()
    {
        // One pump at a time (the output writer's rule); its operation is the pool's again when it
        // stops, so an idle connection holds none.
        var send = SocketOperationPool.Rent();
        try
        {
            while (TryTakeOutput(out var chunk))
            {
                var error = await send.SendAsync(_socket, chunk).ConfigureAwait(false);
                if (error != SocketError.Success)
                {
                    AbandonOutput();
                    Disconnect(DisconnectReason.Error, new SocketException((int)error));
                    return;
                }

                int sent = send.BytesTransferred;
                send.SetBuffer(Memory<byte>.Empty); // the chunk goes back to the output buffer's pool
                OnOutputWritten(sent);
            }
        }
        catch (ObjectDisposedException e)
        {
            AbandonOutput();
            Disconnect(DisconnectReason.Error, e);
            return;
        }
        finally
        {
            SocketOperationPool.Return(send); // every send it started has completed by now
        }

        OnOutputDrained();
    }

    private void DisposeSocket()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
            SocketClosed();
        }
    }
}
