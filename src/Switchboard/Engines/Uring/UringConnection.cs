using System.Buffers;
using System.Net;
using System.Net.Sockets;
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
    // After a graceful close, how long to keep reading out what the peer still sends.
    private static readonly TimeSpan LingerTimeout = TimeSpan.FromSeconds(2);

    private readonly UringLoop _loop;
    private MemoryHandle _sendPin;
    private bool _receiveArmed;
    private bool _sendInFlight;
    private int _cancelsInFlight;
    private bool _endOfStream;
    private bool _transportClosed;
    private bool _released;

    public UringConnection(long id, Socket socket, EndPoint remoteEndPoint, EndPoint localEndPoint, Protocol protocol, IConnectionHost host, UringLoop loop)
        : base(id, remoteEndPoint, localEndPoint, protocol, host, loop)
    {
        Socket = socket;
        _loop = loop;
    }

    public Socket Socket { get; }

    /// <summary>The connection's slot on its loop, named in its operations' user data; 0 when it has none.</summary>
    public int Slot { get; set; }

    public override void BeginShutdown() => _loop.Execute(base.BeginShutdown);

    /// <summary>Arms the multishot receive unless it is armed or the connection is done reading. Loop thread only.</summary>
    public void ArmReceive()
    {
        if (_receiveArmed || _transportClosed || _endOfStream)
            return;
        _receiveArmed = true;
        _loop.PrepareReceive(this);
    }

    /// <summary>Sends the oldest queued output unless a send is in flight; with nothing queued, lets a closing connection close. Loop thread only.</summary>
    public void Flush()
    {
        if (_transportClosed || _sendInFlight)
            return;
        if (TryTakeOutput(out var chunk))
        {
            _sendPin = chunk.Pin();
            _sendInFlight = true;
            _loop.PrepareSend(this, (byte*)_sendPin.Pointer, chunk.Length);
        }
        else
        {
            OnOutputDrained();
        }
    }

    public void OnReceiveCompleted(int result, uint flags, bool more)
    {
        if (!more)
            _receiveArmed = false;
        if (result > 0)
        {
            ushort id = (ushort)(flags >> IORING_CQE_BUFFER_SHIFT);
            try
            {
                if (!_transportClosed)
                    DeliverReceived(_loop.Buffers.Get(id, result));
            }
            finally
            {
                _loop.Buffers.Return(id);
            }

            if (!more && !_transportClosed)
                _loop.RequestReceive(this); // the multishot ended (the completion queue was full, say): arm it again
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
        else if (result == -ENOBUFS)
        {
            // Every buffer was taken in one go; they are back now that their completions are read.
            if (!_transportClosed)
                _loop.RequestReceive(this);
        }
        else if (result != -ECANCELED && !_transportClosed)
        {
            if (State == ConnectionState.Closed)
                CloseSocket();
            else
                Disconnect(DisconnectReason.Error, new SocketException((int)SocketIo.ToSocketError(-result)));
        }

        TryRelease();
    }

    public void OnSendCompleted(int result)
    {
        _sendInFlight = false;
        _sendPin.Dispose();
        _sendPin = default;
        OnOutputWritten(Math.Max(result, 0));
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

    /// <summary>At the loop's end, after its drain: lets go of output pinned for a send that never completed.</summary>
    public void ReleasePinnedOutput()
    {
        _sendPin.Dispose();
        _sendPin = default;
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
        try
        {
            Socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            CloseSocket();
            return;
        }

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
