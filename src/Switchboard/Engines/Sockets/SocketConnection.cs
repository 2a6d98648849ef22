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
internal sealed class SocketConnection : ConnectionBase
{
    private const int BlockingReceiveBufferSize = 16 * 1024;
    private const int AsyncReceiveBufferSize = 8 * 1024;

    // After a graceful close, how long to keep reading out what the peer still sends.
    private static readonly TimeSpan LingerTimeout = TimeSpan.FromSeconds(2);

    private readonly Socket _socket;
    private volatile bool _endOfStream;
    private int _disposed;

    public SocketConnection(long id, Socket socket, Protocol protocol, IConnectionHost host, ITimerScheduler timers)
        : base(id, socket.RemoteEndPoint!, socket.LocalEndPoint!, protocol, host, timers)
    {
        _socket = socket;
        _socket.NoDelay = true;
    }

    /// <summary>The socket, for an engine that cannot start this connection after all (<see cref="ServerRuntime.Withdraw"/>).</summary>
    public Socket Socket => _socket;

    /// <summary>Serves the connection on the calling thread until the socket is done with.</summary>
    public void RunBlocking()
    {
        Start();
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

                DeliverReceived(buffer.AsSpan(0, n));
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
        Start();
        while (true)
        {
            byte[]? buffer = null;
            int n;
            try
            {
                // Wait for data with no buffer (as Kestrel does), so idle connections hold none.
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                buffer = ArrayPool<byte>.Shared.Rent(AsyncReceiveBufferSize);
                n = await _socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                if (n > 0)
                    DeliverReceived(buffer.AsSpan(0, n));
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                OnReceiveFailed(e);
                return;
            }
            finally
            {
                if (buffer is not null)
                    ArrayPool<byte>.Shared.Return(buffer);
            }

            if (n == 0)
            {
                OnEndOfStream();
                return;
            }
        }
    }

    protected override void StartWriting() => _ = PumpAsync();

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

    private void OnEndOfStream()
    {
        _endOfStream = true;
        if (State == ConnectionState.Closed)
            DisposeSocket();
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
        try
        {
            while (TryTakeOutput(out var chunk))
            {
                int sent = await _socket.SendAsync(chunk, SocketFlags.None).ConfigureAwait(false);
                OnOutputWritten(sent);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            AbandonOutput();
            Disconnect(DisconnectReason.Error, e);
            return;
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
