using System.Runtime.InteropServices;
using static Switchboard.Interop.Interop;

namespace Switchboard.Clients;

/// <summary>
/// Puts the terminal on stdin into character mode while it lives: each key is read as it is typed
/// and not echoed (the client draws the line being typed itself), while Ctrl-C still interrupts.
/// Disposing (or the process exiting, or being stopped with Ctrl-Z) puts the settings back as they
/// were. Linux on x64 and Arm64 only, whose <c>struct termios</c> layout this knows.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed partial class TerminalMode : IDisposable
{
    private const int StdinFd = 0;
    private const int TermiosSize = 60; // glibc and musl: 4 flag words, c_line, c_cc[32], two speeds
    private const int LocalFlagsOffset = 12;
    private const int ControlCharsOffset = 17;
    private const int VTime = 5;
    private const int VMin = 6;
    private const uint ICanon = 0x2;
    private const uint Echo = 0x8;
    private const int TcsaNow = 0;
    private const int SigStop = 19;

    private readonly byte[] _saved;
    private readonly byte[] _characterMode;
    private readonly PosixSignalRegistration _stop;
    private readonly PosixSignalRegistration _resume;
    private int _disposed;

    private TerminalMode(byte[] saved, byte[] characterMode)
    {
        _saved = saved;
        _characterMode = characterMode;
        _stop = PosixSignalRegistration.Create(PosixSignal.SIGTSTP, context =>
        {
            Apply(_saved); // Ctrl-Z: the shell gets the terminal as it was
            context.Cancel = true; // a handled SIGTSTP does not stop the process by itself: stop it here
            ProcessControl.Signal(Environment.ProcessId, SigStop);
        });
        _resume = PosixSignalRegistration.Create(PosixSignal.SIGCONT, context =>
        {
            context.Cancel = true; // .NET's own handling would put back the settings it knows, not character mode
            Apply(_characterMode);
        });
        AppDomain.CurrentDomain.ProcessExit += RestoreOnExit;
        Apply(_characterMode);
    }

    /// <summary>Enters character mode if stdin is a terminal this platform can switch; otherwise null (lines as the terminal edits them).</summary>
    public static TerminalMode? TryEnter()
    {
        if (RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
            return null;
        if (Console.IsInputRedirected)
            return null;
        var saved = new byte[TermiosSize + 4]; // a little room to spare
        if (GetAttributes(StdinFd, saved) != 0)
            return null;
        var characterMode = (byte[])saved.Clone();
        var localFlags = BitConverter.ToUInt32(characterMode, LocalFlagsOffset) & ~(ICanon | Echo);
        BitConverter.TryWriteBytes(characterMode.AsSpan(LocalFlagsOffset), localFlags);
        characterMode[ControlCharsOffset + VMin] = 1; // a read returns as soon as one byte is there
        characterMode[ControlCharsOffset + VTime] = 0;
        return new TerminalMode(saved, characterMode);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        AppDomain.CurrentDomain.ProcessExit -= RestoreOnExit;
        _stop.Dispose();
        _resume.Dispose();
        Apply(_saved);
    }

    private void RestoreOnExit(object? sender, EventArgs e) => Apply(_saved);

    private static void Apply(byte[] attributes) => _ = SetAttributes(StdinFd, TcsaNow, attributes);

    [LibraryImport("libc", EntryPoint = "tcgetattr")]
    private static partial int GetAttributes(int fd, [Out] byte[] termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr")]
    private static partial int SetAttributes(int fd, int optionalActions, byte[] termios);
}
