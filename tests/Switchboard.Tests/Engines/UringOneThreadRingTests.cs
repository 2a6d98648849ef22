using System.Net;
using System.Net.Sockets;
using System.Text;
using Switchboard.Apps;
using Switchboard.Engines;
using Switchboard.Interop;
using Switchboard.Tests.Support;
using static Switchboard.Interop.Interop.Uring;

namespace Switchboard.Tests.Engines;

/// <summary>
/// The ring a uring loop owns (<see cref="UringRing.CreateForOneThread"/>): on this kernel (6.18)
/// the kernel does a completion's work only when the owning thread enters to wait
/// (DEFER_TASKRUN), and no other thread may submit (SINGLE_ISSUER). Each test is synchronous,
/// so that it runs on one thread from start to end, as a loop does.
/// </summary>
public sealed class UringOneThreadRingTests
{
    private const int EEXIST = 17;

    [Fact]
    public void A_receive_completes_only_when_the_owning_thread_enters()
    {
        using var ring = UringRing.CreateForOneThread(16, 64, UringProbe.SetupFlags);
        Assert.True(ring.DefersTaskRun);
        ring.BindToCurrentThread();
        try
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(listener.LocalEndPoint!);
            using var server = listener.Accept();
            using var buffers = new UringBufferRing(ring, 1, 2, 1024);

            ref var recv = ref ring.NextSqe();
            recv.Opcode = IORING_OP_RECV;
            recv.Fd = (int)server.SafeHandle.DangerousGetHandle();
            recv.IoPrio = IORING_RECV_MULTISHOT;
            recv.Flags = IOSQE_BUFFER_SELECT;
            recv.BufGroup = 1;
            recv.UserData = 9;
            Assert.Equal(0, ring.SubmitAndWait(0, -1));

            client.Send("deferred"u8);
            // The bytes are in the server's socket (poll(2) says so, and its return would run
            // ordinary task work), yet no completion is posted until this thread enters.
            Assert.True(server.Poll(Timeouts.Quick, SelectMode.SelectRead));
            var cqes = new Cqe[4];
            Assert.Equal(0, ring.TakeCompletions(cqes));

            Assert.Equal(0, ring.SubmitAndWait(1, (long)Timeouts.Quick.TotalNanoseconds));
            Assert.Equal(1, ring.TakeCompletions(cqes));
            Assert.Equal(9ul, cqes[0].UserData);
            Assert.Equal("deferred", Encoding.ASCII.GetString(buffers.Take(cqes[0].Flags, cqes[0].Res)));
            buffers.Finish(cqes[0].Flags, cqes[0].Res);
        }
        finally
        {
            ring.ReleaseFromCurrentThread();
        }
    }

    [Fact]
    public void Only_the_owning_thread_may_submit()
    {
        using var ring = UringRing.CreateForOneThread(16, 64, UringProbe.SetupFlags);
        ring.BindToCurrentThread();
        try
        {
            ref var nop = ref ring.NextSqe();
            nop.Opcode = IORING_OP_NOP;
            nop.UserData = 1;

            // Another thread entering by the ring's descriptor (its registered index is this
            // thread's alone) is refused, and takes nothing from the queue.
            int elsewhere = 0;
            var other = new Thread(() => elsewhere = EnterByDescriptor(ring));
            other.Start();
            Assert.True(other.Join(Timeouts.Quick));

            Assert.Equal(EEXIST, elsewhere);
            Assert.Equal(1u, ring.Unsubmitted);
            Assert.Equal(0, ring.SubmitAndWait(1, (long)Timeouts.Quick.TotalNanoseconds));
            var cqes = new Cqe[1];
            Assert.Equal(1, ring.TakeCompletions(cqes));
            Assert.Equal(1ul, cqes[0].UserData);
        }
        finally
        {
            ring.ReleaseFromCurrentThread();
        }
    }

    [Fact]
    public void A_server_whose_loops_cannot_own_their_rings_does_not_start()
    {
        // The probe said yes (asked here before the filter), then the host refuses a thread the
        // ring: the server must not be left listening with loops that never run.
        Assert.Null(UringProbe.WhyUnavailable);
        var error = SeccompThread.Run(SYS_io_uring_register, IORING_REGISTER_ENABLE_RINGS, EPERM, () =>
        {
            var server = new Server(EngineCatalog.Get("uring"), new ServerOptions(), () => new EchoProtocol());
            try
            {
                server.Start();
                return null;
            }
            catch (ServerStartException e)
            {
                return e;
            }
            finally
            {
                Assert.True(server.DisposeAsync().AsTask().Wait(Timeouts.Quick));
            }
        });

        Assert.NotNull(error);
        Assert.Matches(@"^cannot start uring event loop 1 of \d+: io_uring_register\(IORING_REGISTER_ENABLE_RINGS\) failed: Operation not permitted$", error.Message);
    }

    /// <summary>io_uring_enter(2) submitting one entry by the ring's descriptor: 0, or the errno.</summary>
    private static unsafe int EnterByDescriptor(UringRing ring)
    {
        int fd = (int)ring.Handle.DangerousGetHandle();
        return Enter(fd, 1, 0, IORING_ENTER_GETEVENTS, null, 0) >= 0 ? 0 : System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
    }
}
