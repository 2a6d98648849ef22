using System.ComponentModel;
using static Switchboard.Interop.Interop.Uring;

namespace Switchboard.Interop;

/// <summary>
/// Whether this process can run an io_uring the way the uring engine needs one: the ring set up
/// with the engine's flags, the operations it submits, the waits it makes, and a provided-buffer
/// ring. Asked once; the answer is a reason a user can act on, or null.
/// </summary>
internal static class UringProbe
{
    /// <summary>The setup flags every ring of the engine uses (COOP_TASKRUN: Linux 5.19).</summary>
    public const uint SetupFlags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_CLAMP;

    /// <summary>Multishot receive came in Linux 6.0; nothing in the probe opcodes shows it, so the version does.</summary>
    public static readonly Version MinimumKernel = new(6, 0);

    private static readonly Lazy<string?> Answer = new(Check);

    /// <summary>Why io_uring cannot serve here, or null when it can: asked once per process (<see cref="Check"/>).</summary>
    public static string? WhyUnavailable => Answer.Value;

    private static readonly (byte Op, string Name)[] Needed =
    [
        (IORING_OP_NOP, "IORING_OP_NOP"),
        (IORING_OP_ACCEPT, "IORING_OP_ACCEPT"),
        (IORING_OP_RECV, "IORING_OP_RECV"),
        (IORING_OP_SEND, "IORING_OP_SEND"),
        (IORING_OP_SENDMSG, "IORING_OP_SENDMSG"),
        (IORING_OP_READ, "IORING_OP_READ"),
        (IORING_OP_ASYNC_CANCEL, "IORING_OP_ASYNC_CANCEL"),
    ];

    /// <summary>Asks now, on the calling thread (a seccomp filter is per thread): why io_uring cannot serve, or null.</summary>
    public static string? Check()
    {
        if (!OperatingSystem.IsLinux())
            return "io_uring exists only on Linux";
        if (!Environment.Is64BitProcess)
            return "the uring engine lays out the kernel's structures for 64-bit processes only";
        var kernel = Environment.OSVersion.Version;
        if (kernel < MinimumKernel)
            return $"io_uring's multishot receive needs Linux {MinimumKernel.Major}.{MinimumKernel.Minor} or later (this kernel is {kernel.Major}.{kernel.Minor})";

        UringRing ring;
        try
        {
            ring = UringRing.Create(8, 16, SetupFlags);
        }
        catch (Win32Exception e)
        {
            return DescribeSetupFailure(e.NativeErrorCode);
        }

        using (ring)
        {
            foreach (var (op, name) in Needed)
            {
                if (!ring.Supports(op))
                    return $"this kernel's io_uring lacks {name}";
            }

            if ((ring.Features & IORING_FEAT_EXT_ARG) == 0 || (ring.Features & IORING_FEAT_NODROP) == 0)
                return "this kernel's io_uring lacks IORING_FEAT_EXT_ARG or IORING_FEAT_NODROP (Linux 5.11)";

            try
            {
                using var buffers = new UringBufferRing(ring, 0, 1, 64);
            }
            catch (Win32Exception e)
            {
                return $"this kernel's io_uring lacks provided-buffer rings (IORING_REGISTER_PBUF_RING, Linux 5.19): {e.Message}";
            }
        }

        // A loop's ring as the engine makes it: owned by one thread, which enables it (where the
        // kernel has SINGLE_ISSUER and DEFER_TASKRUN). Asked here, so that a host that refuses it
        // (a seccomp filter on io_uring_register's opcodes, say) is told now, not by a loop that
        // fails after the server is listening.
        try
        {
            using var owned = UringRing.CreateForOneThread(8, 16, SetupFlags);
            owned.BindToCurrentThread();
            owned.ReleaseFromCurrentThread();
        }
        catch (Win32Exception e)
        {
            return $"io_uring would not let one thread own a ring (IORING_REGISTER_ENABLE_RINGS): {e.Message}";
        }

        return null;
    }

    /// <summary>io_uring_setup's errno, as a reason: the sysctl, a seccomp filter, a kernel without it.</summary>
    public static string DescribeSetupFailure(int errno) => errno switch
    {
        ENOSYS => "io_uring is not in this kernel (io_uring_setup: ENOSYS)",
        EPERM => ReadDisabledSysctl() switch
        {
            2 => "io_uring is disabled on this machine (sysctl kernel.io_uring_disabled = 2)",
            1 => "io_uring is limited to root and kernel.io_uring_group on this machine (sysctl kernel.io_uring_disabled = 1)",
            _ => "io_uring_setup is not permitted here (EPERM: a seccomp filter, as container runtimes install by default?)",
        },
        EINVAL => "this kernel's io_uring lacks the setup flags the engine needs (IORING_SETUP_COOP_TASKRUN, Linux 5.19)",
        ENOMEM => "io_uring_setup failed for lack of memory (ENOMEM; before Linux 5.12 rings count against ulimit -l)",
        _ => $"io_uring_setup failed: {new Win32Exception(errno).Message}",
    };

    private static int ReadDisabledSysctl()
    {
        try
        {
            return int.TryParse(File.ReadAllText("/proc/sys/kernel/io_uring_disabled").Trim(), out int value) ? value : -1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }
}
