using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Switchboard.Tests.Support;

/// <summary>
/// Runs code on a thread of its own under a seccomp filter that refuses one system call with an
/// errno, as a container runtime's profile does: a filter binds only the thread that installs
/// it (and threads it starts), so the rest of the test process is untouched, and it ends with
/// the thread.
/// </summary>
public static class SeccompThread
{
    private const int PR_SET_NO_NEW_PRIVS = 38;
    private const int PR_SET_SECCOMP = 22;
    private const int SECCOMP_MODE_FILTER = 2;
    private const uint SECCOMP_RET_ERRNO = 0x0005_0000;
    private const uint SECCOMP_RET_ALLOW = 0x7fff_0000;

    /// <summary>Runs <paramref name="work"/> with system call <paramref name="syscall"/> failing with <paramref name="errno"/>; returns its result.</summary>
    public static T Run<T>(long syscall, int errno, Func<T> work) => Run(syscall, null, errno, work);

    /// <summary>
    /// As <see cref="Run{T}(long, int, Func{T})"/>, but only the calls whose second argument is
    /// <paramref name="secondArgument"/> fail (io_uring_register with one opcode, say); others go through.
    /// </summary>
    public static T Run<T>(long syscall, uint? secondArgument, int errno, Func<T> work)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                RefuseOnThisThread((uint)syscall, secondArgument, (uint)errno);
                result = work();
            }
#pragma warning disable CA1031 // handed to the test's thread, which rethrows it
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure = e;
            }
        });
        thread.Start();
        if (!thread.Join(Timeouts.Quick))
            throw new TimeoutException("the filtered thread did not finish");
        if (failure is not null)
            throw new InvalidOperationException("the filtered thread failed", failure);
        return result;
    }

    private static void RefuseOnThisThread(uint syscall, uint? secondArgument, uint errno)
    {
        // BPF over struct seccomp_data: load nr (offset 0); if it is the call (and, when asked, its
        // second argument's low 32 bits, at offset 24, are the value), fail it; else allow.
        long[] program = secondArgument is not { } argument
            ?
            [
                Instruction(0x20, 0, 0, 0),                          // BPF_LD | BPF_W | BPF_ABS, nr
                Instruction(0x15, 0, 1, syscall),                    // BPF_JMP | BPF_JEQ | BPF_K
                Instruction(0x06, 0, 0, SECCOMP_RET_ERRNO | errno),  // BPF_RET | BPF_K
                Instruction(0x06, 0, 0, SECCOMP_RET_ALLOW),
            ]
            :
            [
                Instruction(0x20, 0, 0, 0),                          // nr
                Instruction(0x15, 0, 3, syscall),                    // not the call: allow
                Instruction(0x20, 0, 0, 24),                         // args[1], low half (little-endian)
                Instruction(0x15, 0, 1, argument),                   // not the value: allow
                Instruction(0x06, 0, 0, SECCOMP_RET_ERRNO | errno),
                Instruction(0x06, 0, 0, SECCOMP_RET_ALLOW),
            ];
        nint filter = Marshal.AllocHGlobal(program.Length * sizeof(long));
        nint fprog = Marshal.AllocHGlobal(16); // struct sock_fprog: unsigned short len; struct sock_filter *filter
        try
        {
            Marshal.Copy(program, 0, filter, program.Length);
            Marshal.WriteInt64(fprog, 0, program.Length);
            Marshal.WriteIntPtr(fprog, 8, filter);
            if (Prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
                throw new Win32Exception(Marshal.GetLastPInvokeError(), "prctl(PR_SET_NO_NEW_PRIVS)");
            if (Prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog, 0, 0) != 0)
                throw new Win32Exception(Marshal.GetLastPInvokeError(), "prctl(PR_SET_SECCOMP)");
        }
        finally
        {
            Marshal.FreeHGlobal(fprog); // the kernel copied the program
            Marshal.FreeHGlobal(filter);
        }
    }

    // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }, little-endian.
    private static long Instruction(ushort code, byte jt, byte jf, uint k) =>
        unchecked((long)(code | ((ulong)jt << 16) | ((ulong)jf << 24) | ((ulong)k << 32)));

#pragma warning disable SYSLIB1054 // the test project allows no unsafe code, which LibraryImport's generated code needs
    [DllImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static extern int Prctl(int option, nint arg2, nint arg3, nint arg4, nint arg5);
#pragma warning restore SYSLIB1054
}
