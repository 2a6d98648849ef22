using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Switchboard.Interop;
using Switchboard.Tests.Support;
using static Switchboard.Interop.Interop.Uring;

namespace Switchboard.Tests.Engines;

/// <summary>
/// The io_uring ring of the uring engine on its own, over real loopback sockets: what goes in as
/// a submission comes back as the completion the kernel documents. Needs io_uring (Linux 6.0+,
/// kernel.io_uring_disabled = 0, no seccomp filter against it), as the uring engine does.
/// </summary>
public sealed class UringRingTests : IDisposable
{
    private readonly UringRing _ring = UringRing.Create(64, 256, UringProbe.SetupFlags);

    public void Dispose() => _ring.Dispose();

    [Fact]
    public void The_probe_finds_io_uring_usable_on_this_machine()
    {
        Assert.Null(UringProbe.WhyUnavailable);
        Assert.Equal(0, int.Parse(File.ReadAllText("/proc/sys/kernel/io_uring_disabled").Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData(EPERM, "io_uring_setup is not permitted here (EPERM: a seccomp filter, as container runtimes install by default?)")]
    [InlineData(ENOSYS, "io_uring is not in this kernel (io_uring_setup: ENOSYS)")]
    public void Under_a_seccomp_filter_against_io_uring_the_probe_says_why(int errno, string expected)
    {
        // As Docker's default profile refuses it (EPERM), or a kernel or sandbox without it (ENOSYS);
        // kernel.io_uring_disabled is 0 here (the test above), so EPERM is put down to seccomp.
        string? reason = SeccompThread.Run(SYS_io_uring_setup, errno, UringProbe.Check);

        Assert.Equal(expected, reason);
        Assert.Null(UringProbe.Check()); // on this thread, unfiltered
    }

    [Theory]
    [InlineData(EPERM, "io_uring")]
    [InlineData(ENOSYS, "io_uring is not in this kernel (io_uring_setup: ENOSYS)")]
    [InlineData(EINVAL, "IORING_SETUP_COOP_TASKRUN")]
    public void A_setup_failure_reads_as_one_line_naming_its_cause(int errno, string expected)
    {
        string reason = UringProbe.DescribeSetupFailure(errno);

        Assert.Contains(expected, reason, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', reason);
    }

    [Fact]
    public void A_nop_comes_back_with_its_user_data()
    {
        ref var sqe = ref _ring.NextSqe();
        sqe.Opcode = IORING_OP_NOP;
        sqe.UserData = 0xfeed_0000_0042;

        var cqe = WaitFor(0xfeed_0000_0042);

        Assert.Equal(0, cqe.Res);
        Assert.Equal(0u, _ring.Unsubmitted);
    }

    [Fact]
    public void More_submissions_than_the_ring_holds_are_all_completed()
    {
        const int Count = 200; // the ring has 64 entries: NextSqe submits when full
        for (int i = 0; i < Count; i++)
        {
            ref var sqe = ref _ring.NextSqe();
            sqe.Opcode = IORING_OP_NOP;
            sqe.UserData = (ulong)i;
        }

        var seen = new HashSet<ulong>();
        var deadline = DateTime.UtcNow + Timeouts.Quick;
        var cqes = new Cqe[64];
        while (seen.Count < Count && DateTime.UtcNow < deadline)
        {
            Assert.Equal(0, _ring.SubmitAndWait(1, 100_000_000));
            int n = _ring.TakeCompletions(cqes);
            for (int i = 0; i < n; i++)
                seen.Add(cqes[i].UserData);
        }

        Assert.Equal(Count, seen.Count);
    }

    [Fact]
    public void A_wait_with_nothing_to_complete_ends_at_its_timeout()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();

        Assert.Equal(0, _ring.SubmitAndWait(1, 50_000_000));

        Assert.InRange(started.Elapsed, TimeSpan.FromMilliseconds(40), Timeouts.Quick);
        Assert.Equal(0, _ring.TakeCompletions(new Cqe[1]));
    }

    [Fact]
    public async Task Accept_receive_into_a_provided_buffer_send_and_cancel_over_loopback()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(8);
        using var buffers = new UringBufferRing(_ring, 3, 4, 1024);

        // A multishot accept: each client is one completion, and the accept stays armed.
        ref var accept = ref _ring.NextSqe();
        accept.Opcode = IORING_OP_ACCEPT;
        accept.Fd = (int)listener.SafeHandle.DangerousGetHandle();
        accept.IoPrio = IORING_ACCEPT_MULTISHOT;
        accept.OpFlags = SOCK_CLOEXEC;
        accept.UserData = 1;
        Assert.Equal(0, _ring.SubmitAndWait(0, -1));

        using var client = await TestClient.ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        var accepted = WaitFor(1);
        Assert.True(accepted.Res >= 0, $"accept failed: {accepted.Res}");
        Assert.NotEqual(0u, accepted.Flags & IORING_CQE_F_MORE);
        using var server = new Socket(new SafeSocketHandle(accepted.Res, ownsHandle: true));
        Assert.Equal(client.Socket.LocalEndPoint, server.RemoteEndPoint);

        // A multishot receive picks a buffer of group 3 per completion.
        ArmMultishotReceive(accepted.Res, group: 3, userData: 2);
        await client.SendAsync("hello ring"u8.ToArray());
        var received = WaitFor(2);
        Assert.Equal(10, received.Res);
        Assert.NotEqual(0u, received.Flags & IORING_CQE_F_BUFFER);
        Assert.NotEqual(0u, received.Flags & IORING_CQE_F_MORE);
        Assert.Equal("hello ring", Encoding.ASCII.GetString(buffers.Take(received.Flags, received.Res)));
        buffers.Finish(received.Flags, received.Res);

        byte[] reply = GC.AllocateArray<byte>(6, pinned: true); // the kernel reads it after the call returns
        "world\n"u8.CopyTo(reply);
        ref var send = ref _ring.NextSqe();
        send.Opcode = IORING_OP_SEND;
        send.Fd = accepted.Res;
        send.Addr = (ulong)Marshal.UnsafeAddrOfPinnedArrayElement(reply, 0);
        send.Len = (uint)reply.Length;
        send.OpFlags = MSG_NOSIGNAL;
        send.UserData = 3;
        Assert.Equal(6, WaitFor(3).Res);

        Assert.Equal("world", await client.ReadLineAsync());

        // Cancelling by descriptor ends the armed receive with ECANCELED, its last completion.
        ref var cancel = ref _ring.NextSqe();
        cancel.Opcode = IORING_OP_ASYNC_CANCEL;
        cancel.Fd = accepted.Res;
        cancel.OpFlags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
        cancel.UserData = 4;
        var cancelled = WaitFor(2);
        Assert.Equal(-ECANCELED, cancelled.Res);
        Assert.Equal(0u, cancelled.Flags & IORING_CQE_F_MORE);
    }

    [Fact]
    public async Task Incremental_buffers_hand_out_one_buffer_to_several_receives_each_after_the_last()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = await TestClient.ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        using var server = await listener.AcceptAsync();
        using var buffers = new UringBufferRing(_ring, 5, 2, 1024, incremental: true); // Linux 6.12; this machine's kernel is newer

        ArmMultishotReceive((int)server.SafeHandle.DangerousGetHandle(), group: 5, userData: 7);

        // Two receives, each waited for: both in the same buffer, the second after the first,
        // and the kernel says it goes on filling it.
        var texts = new List<string>();
        var ids = new List<uint>();
        foreach (string text in (string[])["abc", "defgh"])
        {
            await client.SendAsync(Encoding.ASCII.GetBytes(text));
            var received = WaitFor(7);
            Assert.Equal(text.Length, received.Res);
            Assert.NotEqual(0u, received.Flags & IORING_CQE_F_BUF_MORE);
            texts.Add(Encoding.ASCII.GetString(buffers.Take(received.Flags, received.Res)));
            ids.Add(received.Flags >> IORING_CQE_BUFFER_SHIFT);
            buffers.Finish(received.Flags, received.Res); // kept: the kernel goes on filling it
        }

        Assert.Equal(["abc", "defgh"], texts);
        Assert.Equal(ids[0], ids[1]);

        // The rest of that buffer: its last completion comes without the flag, and it goes back;
        // the next bytes start a buffer from its beginning.
        int rest = 1024 - "abcdefgh".Length;
        await client.SendAsync(Enumerable.Repeat((byte)'x', rest).ToArray());
        uint lastFlags = 0;
        for (int got = 0; got < rest;)
        {
            var received = WaitFor(7);
            Assert.True(received.Res > 0, $"receive failed: {received.Res}");
            Assert.All(buffers.Take(received.Flags, received.Res).ToArray(), b => Assert.Equal((byte)'x', b));
            buffers.Finish(received.Flags, received.Res);
            got += received.Res;
            lastFlags = received.Flags;
        }

        Assert.Equal(ids[0], lastFlags >> IORING_CQE_BUFFER_SHIFT);
        Assert.Equal(0u, lastFlags & IORING_CQE_F_BUF_MORE);
        await client.SendAsync("ij"u8.ToArray());
        var next = WaitFor(7);
        Assert.Equal("ij", Encoding.ASCII.GetString(buffers.Take(next.Flags, next.Res)));
        buffers.Finish(next.Flags, next.Res);
    }

    /// <summary>Submits a multishot receive on <paramref name="fd"/> over buffer group <paramref name="group"/>.</summary>
    private void ArmMultishotReceive(int fd, ushort group, ulong userData)
    {
        ref var recv = ref _ring.NextSqe();
        recv.Opcode = IORING_OP_RECV;
        recv.Fd = fd;
        recv.IoPrio = IORING_RECV_MULTISHOT;
        recv.Flags = IOSQE_BUFFER_SELECT;
        recv.BufGroup = group;
        recv.UserData = userData;
        Assert.Equal(0, _ring.SubmitAndWait(0, -1));
    }

    /// <summary>Submits what is queued and waits (bounded) for the completion with <paramref name="userData"/>, dropping others.</summary>
    private Cqe WaitFor(ulong userData)
    {
        var deadline = DateTime.UtcNow + Timeouts.Quick;
        var cqes = new Cqe[16];
        while (DateTime.UtcNow < deadline)
        {
            Assert.Equal(0, _ring.SubmitAndWait(1, 100_000_000));
            int n = _ring.TakeCompletions(cqes);
            for (int i = 0; i < n; i++)
            {
                if (cqes[i].UserData == userData)
                    return cqes[i];
            }
        }

        throw new TimeoutException($"no completion for {userData} within {Timeouts.Quick}");
    }
}
