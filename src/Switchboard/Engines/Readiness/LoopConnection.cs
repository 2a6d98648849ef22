using System.Net;
using System.Net.Sockets;
using Switchboard.Interop;
using Switchboard.Protocols;
using static Switchboard.Interop.Interop;

namespace Switchboard.Engines.Readiness;

/// <summary>
/// A connection owned by a <see cref="ReadinessLoop"/>: a non-blocking socket read until drained
/// when readable, and written from the output buffer, with interest in writability only
/// while output is pending. Everything here but <see cref="StartWriting"/> and
/// <see cref="CloseTransport"/> (which hop onto the loop) runs on the loop thread, and so does
/// every protocol callback, <c>OnDisconnected</c> included: an end from another thread (a
/// <c>Send</c> that finds the client too slow, a <c>Close</c>, the shutdown deadline) hands the
/// delivery to the loop (<see cref="TryHandOff"/>).
/// </summary>
internal sealed class LoopConnection : ConnectionBase
{
    // Read at most this much per readiness event before letting other sockets have a turn.
    private const int MaxBytesPerRead = 256 * 1024;

    // After a graceful close, how long to keep reading out what the peer still sends.
    private static readonly TimeSpan LingerTimeout = TimeSpan.FromSeconds(2);

    private readonly ReadinessLoop _loop;
    private Interest _interest = Interest.Read;
    private bool _endOfStream;
    private bool _transportClosed;

    public LoopConnection(long id, SafeSocketDescriptor handle, EndPoint remoteEndPoint, EndPoint localEndPoint, Protocol protocol, IConnectionHost host, ReadinessLoop loop)
        : base(id, remoteEndPoint, localEndPoint, protocol, host, loop)
    {
        Handle = handle;
        _loop = loop;
    }

    /// <summary>The socket's descriptor: the loop reads and writes it with system calls of its own, so no .NET <see cref="Socket"/> is made for it.</summary>
    public SafeSocketDescriptor Handle { get; }

    public int Token { get; set; }

    public override void BeginShutdown() => _loop.Execute(base.BeginShutdown);

    public void OnReady(ReadyEvent ready, byte[] buffer)
    {
        if ((ready.Ready & Interest.Read) != 0 || (ready.Failed && !_endOfStream))
            Read(buffer);
        if (!_transportClosed && ((ready.Ready & Interest.Write) != 0 || ready.Failed))
            Flush();
    }

    /// <summary>
    /// Writes pending output until done or the socket would block: every queued segment, up to
    /// <see cref="SocketIo.MaxGatheredRuns"/> of them in one gathering write. Loop thread only.
    /// </summary>
    public void Flush()
    {
        if (_transportClosed)
            return;
        var runs = new OutputRuns();
        int count;
        while ((count = TryTakeOutputRuns(runs)) > 0)
        {
            int sent = SocketIo.SendGathered(Handle, ((ReadOnlySpan<ReadOnlyMemory<byte>>)runs)[..count], out var error);
            OnOutputWritten(error == SocketError.Success ? sent : 0);
            if (error == SocketError.WouldBlock)
            {
                // The writer stays claimed: the writable event resumes it, and Sends meanwhile only queue.
                SetWriteInterest(true);
                return;
            }

            if (error != SocketError.Success)
            {
                Disconnect(DisconnectReason.Error, new SocketException((int)error));
                return;
            }
        }

        SetWriteInterest(false);
        OnOutputDrained();
    }

    protected override void StartWriting() => _loop.RequestFlush(this);

    protected override void CloseTransport(bool graceful) => _loop.Execute(() => CloseOnLoop(graceful));

    /// <summary>
    /// Off the loop thread, posts <paramref name="work"/> to the loop (which runs it on its next
    /// turn, after the callback it may be in) and returns true. Work posted to a loop that has
    /// stopped would never run; a server stops its loops only once every connection has completed.
    /// </summary>
    /// <param name="work">What to run on the loop, given this connection.</param>
    protected override bool TryHandOff(Action<ConnectionBase> work)
    {
        if (_loop.IsLoopThread)
            return false;
        HandOff(work);
        return true;
    }

    // Its own method: a closure is allocated on entry to the method that declares the lambda.
    private void HandOff(Action<ConnectionBase> work) => _loop.Execute(() => work(this));

    private void Read(byte[] buffer)
    {
        for (int total = 0; total < MaxBytesPerRead;)
        {
            int n = SocketIo.Receive(Handle, buffer, out var error);
            if (error == SocketError.WouldBlock)
                return;
            if (error != SocketError.Success)
            {
                if (State == ConnectionState.Closed)
                    CloseSocket();
                else
                    Disconnect(DisconnectReason.Error, new SocketException((int)error));
                return;
            }

            if (n == 0)
            {
                OnEndOfStream();
                return;
            }

            total += n;
            DeliverReceived(buffer.AsSpan(0, n));
            if (_transportClosed)
                return;

            // A short read means the socket is drained. The multiplexers are level-triggered, so
            // anything arriving later is reported again: skip the read that would only say EAGAIN
            // (one system call in three on a ping-pong echo, counted with strace -c).
            if (n < buffer.Length)
                return;
        }
    }

    private void OnEndOfStream()
    {
        _endOfStream = true;
        if (State == ConnectionState.Closed)
        {
            CloseSocket();
            return;
        }

        // Level-triggered: a socket at end of stream stays readable, so stop asking.
        _interest &= ~Interest.Read;
        _loop.SetInterest(this, _interest);
        OnRemoteClosed();
    }

    private void CloseOnLoop(bool graceful)
    {
        if (_transportClosed)
            return;
        DiscardOutput(); // on the loop, between flushes: no chunk is out
        if (!graceful || _endOfStream)
        {
            CloseSocket();
            return;
        }

        // Lingering close (see SocketConnection): FIN now, read out the rest, close on EOF or deadline.
        if (SocketIo.ShutdownSend(Handle) != SocketError.Success)
        {
            CloseSocket();
            return;
        }

        _interest = Interest.Read;
        _loop.SetInterest(this, _interest);
        ScheduleInternal(LingerTimeout, CloseSocket);
    }

    private void CloseSocket()
    {
        if (_transportClosed)
            return;
        _transportClosed = true;
        _loop.Forget(this);
        SocketClosed();
    }

    private void SetWriteInterest(bool wanted)
    {
        var interest = wanted ? _interest | Interest.Write : _interest & ~Interest.Write;
        if (interest == _interest || _transportClosed)
            return;
        _interest = interest;
        _loop.SetInterest(this, interest);
    }

    /// <summary>Room for the runs of one gathering write, on the stack.</summary>
    [System.Runtime.CompilerServices.InlineArray(SocketIo.MaxGatheredRuns)]
    private struct OutputRuns
    {
        private ReadOnlyMemory<byte> _run;
    }
}
