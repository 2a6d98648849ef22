using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Switchboard.Interop;
using Switchboard.Protocols;
using static Switchboard.Interop.Interop;
using static Switchboard.Interop.Interop.Uring;

namespace Switchboard.Engines.Uring;

/// <summary>
/// A connection owned by a <see cref="UringLoop"/>: a multishot receive over the loop's provided
/// buffers, armed for the connection's life, and at most one send in flight, of the oldest queued
/// output (pinned until it completes). Everything here but <see cref="StartWriting"/> and
/// <see cref="CloseTransport"/> (which hop onto the loop) runs on the loop thread, and so does every
/// protocol callback, as on a readiness loop (<see cref="TryHandOff"/>).
/// </summary>
/// <remarks>
/// Closing cancels the operations in flight (IORING_OP_ASYNC_CANCEL) and closes the socket only
/// when the last of them has completed: until then the kernel may still write into a buffer or
/// read the pinned output, and a completion must find its connection in its slot.
/// </remarks>
internal sealed unsafe class UringConnection : ConnectionBase
{
    /// <summary>The most segments one send gathers (IORING_OP_SENDMSG).</summary>
    internal const int MaxGather = 32;

    // While more output than this waits (or a quarter of MaxPendingBytes, if less), the connection
    // stops receiving (its multishot receive is cancelled) and starts again once under half of it:
    // a receive needs no readiness and takes all that arrives, so without this a peer that sends
    // faster than it reads would pile up output.
    private const long PauseReceivingAbove = 256 * 1024;

    // After a graceful close, how long to keep reading out what the peer still sends.
    private static readonly TimeSpan LingerTimeout = TimeSpan.FromSeconds(2);

    private readonly UringLoop _loop;
    private MemoryHandle _sendPin;
    private MemoryHandle[]? _gatherPins; // a gathering send's segments, pinned until it completes
    private Interop.Interop.MsgHdr* _message; // and its msghdr and iovecs (native)
    private bool _receivePaused;
    private bool _receiveArmed;
    private bool _sendInFlight;
    private int _cancelsInFlight;
    private bool _endOfStream;
    private bool _transportClosed;
    private bool _released;

    public UringConnection(long id, SafeSocketDescriptor socket, EndPoint remoteEndPoint, EndPoint localEndPoint, Protocol protocol, IConnectionHost host, UringLoop loop)
        : base(id, remoteEndPoint, localEndPoint, protocol, host, loop)
    {
        Handle = socket;
        _loop = loop;
    }

    /// <summary>The socket's descriptor, which the ring reads and writes: no .NET <see cref="Socket"/> is made for it.</summary>
    public SafeSocketDescriptor Handle { get; }

    /// <summary>The connection's slot on its loop, named in its operations' user data; 0 when it has none.</summary>
    public int Slot { get; set; }

    public override void BeginShutdown() => _loop.Execute(base.BeginShutdown);

    /// <summary>Arms the multishot receive unless it is armed or the connection is done reading. Loop thread only.</summary>
    public void ArmReceive()
    {
        if (_receiveArmed || _transportClosed || _endOfStream || _receivePaused)
            return;
        _receiveArmed = true;
        _loop.PrepareReceive(this);
    }

    /// <summary>Sends the oldest queued output unless a send is in flight; with nothing queued, lets a closing connection close. Loop thread only.</summary>
    public void Flush()
    {
        if (_transportClosed || _sendInFlight)
            return;
        var chunks = _loop.GatherScratch;
        int n = TryTakeOutputRuns(chunks);
        if (n == 0)
        {
            ResumeReceiving();
            OnOutputDrained();
            return;
        }

        _sendInFlight = true;
        if (n == 1)
        {
            _sendPin = chunks[0].Pin();
            _loop.PrepareSend(this, (byte*)_sendPin.Pointer, chunks[0].Length);
        }
        else
        {
            _gatherPins = new MemoryHandle[n];
            _message = (Interop.Interop.MsgHdr*)NativeMemory.AllocZeroed((nuint)(sizeof(Interop.Interop.MsgHdr) + (n * sizeof(Interop.Interop.IoVec))));
            var iov = (Interop.Interop.IoVec*)(_message + 1);
            for (int i = 0; i < n; i++)
            {
                _gatherPins[i] = chunks[i].Pin();
                iov[i].Base = (nint)_gatherPins[i].Pointer;
                iov[i].Length = (nuint)chunks[i].Length;
            }

            _message->Iov = iov;
            _message->IovLength = (nuint)n;
            _loop.PrepareSendMessage(this, _message);
        }

        chunks.AsSpan(0, n).Clear(); // the scratch holds no segment past this call
    }

    public void OnReceiveCompleted(int result, uint flags, bool more)
    {
        if (!more)
            _receiveArmed = false;
        if (result > 0)
        {
            try
            {
                var received = _loop.Buffers.Take(flags, result);
                if (!_transportClosed)
                    DeliverReceived(received);
            }
            finally
            {
                _loop.Buffers.Finish(flags, result);
            }

            if (more && !_transportClosed && !_receivePaused && PendingBytes > PauseThreshold)
            {
                _receivePaused = true;
                _cancelsInFlight++;
                _loop.PrepareCancelReceive(this);
            }
        }
        else if (result == 0)
        {
            _endOfStream = true;
            if (!_transportClosed)
            {
                if (State == ConnectionState.Closed)
                    CloseSocket();
                else
                    OnRemoteClosed();
            }
        }
        else if (result is not (-ENOBUFS or -ECANCELED) && !_transportClosed)
        {
            if (State == ConnectionState.Closed)
                CloseSocket();
            else
                Disconnect(DisconnectReason.Error, new SocketException((int)SocketIo.ToSocketError(-result)));
        }

        if (result <= 0 && (flags & IORING_CQE_F_BUFFER) != 0)
            _loop.Buffers.Finish(flags, result); // a buffer named with no bytes: a whole one is the kernel's no more

        // The multishot ended without an end of its own: the completion queue was full, every
        // buffer was taken in one go (ENOBUFS: they are back once their completions are read), or
        // it was cancelled to pause. Armed again at the end of the turn unless paused or closed.
        if (!more && !_transportClosed && !_endOfStream && !_receivePaused && (result > 0 || result is -ENOBUFS or -ECANCELED))
            _loop.RequestReceive(this);
        TryRelease();
    }

    public void OnSendCompleted(int result)
    {
        _sendInFlight = false;
        ReleasePinnedOutput();
        OnOutputWritten(Math.Max(result, 0));
        if (_receivePaused && !_transportClosed && PendingBytes <= PauseThreshold / 2)
            ResumeReceiving();
        if (result < 0 && result != -ECANCELED && !_transportClosed)
            Disconnect(DisconnectReason.Error, new SocketException((int)SocketIo.ToSocketError(-result)));
        if (_transportClosed)
        {
            DiscardOutput();
            TryTakeOutput(out _); // discarded: clears what is left and stops the writer
            TryRelease();
            return;
        }

        Flush(); // the rest, or the next chunk: submitted with the loop's next enter
    }

    public void OnCancelCompleted()
    {
        _cancelsInFlight--;
        TryRelease();
    }

    /// <summary>Lets go of the output pinned for the send in flight: its completion came, or the loop ended without it.</summary>
    public void ReleasePinnedOutput()
    {
        _sendPin.Dispose();
        _sendPin = default;
        if (_gatherPins is { } pins)
        {
            foreach (var pin in pins)
                pin.Dispose();
            _gatherPins = null;
        }

        NativeMemory.Free(_message);
        _message = null;
    }

    private long PauseThreshold => Math.Min(PauseReceivingAbove, Options.MaxPendingBytes / 4);

    private void ResumeReceiving()
    {
        if (!_receivePaused)
            return;
        _receivePaused = false;
        ArmReceive();
    }

    protected override void StartWriting() => _loop.RequestFlush(this);

    protected override void CloseTransport(bool graceful) => _loop.Execute(() => CloseOnLoop(graceful));

    /// <summary>Off the loop thread, posts <paramref name="work"/> to the loop and returns true (as <c>LoopConnection</c> does).</summary>
    /// <param name="work">What to run on the loop, given this connection.</param>
    protected override bool TryHandOff(Action<ConnectionBase> work)
    {
        if (_loop.IsLoopThread)
            return false;
        HandOff(work);
        return true;
    }

    private void HandOff(Action<ConnectionBase> work) => _loop.Execute(() => work(this));

    private void CloseOnLoop(bool graceful)
    {
        if (_transportClosed)
            return;
        DiscardOutput(); // a chunk out with a send stays until the send completes
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

        _receivePaused = false; // the output is given up: read out what the peer still sends
        ArmReceive();
        ScheduleInternal(LingerTimeout, CloseSocket);
    }

    private void CloseSocket()
    {
        if (_transportClosed)
            return;
        _transportClosed = true;
        if (_receiveArmed || _sendInFlight)
        {
            _cancelsInFlight++;
            _loop.PrepareCancel(this);
        }

        TryRelease();
    }

    private void TryRelease()
    {
        if (!_transportClosed || _released || _receiveArmed || _sendInFlight || _cancelsInFlight > 0)
            return;
        _released = true;
        _loop.Forget(this);
        SocketClosed();
    }
}
