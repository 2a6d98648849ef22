using System.Runtime.InteropServices;
using static Switchboard.Interop.Interop;

namespace Switchboard.Clients;

/// <summary>
/// Puts the terminal on stdin into character mode while it lives: each key is read as it is typed
/// and not echoed (the client draws the line being typed itself), while Ctrl-C still interrupts.
/// Disposing (or the process exiting, or being stopped with Ctrl-Z) puts the settings back as they
/// were. Only where <see cref="Terminal.LayoutKnown"/> (Linux on x64 and Arm64).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class TerminalMode : IDisposable
{
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
        if (Console.IsInputRedirected || Terminal.TryGetStdin() is not { } saved)
            return null;
        return new TerminalMode(saved, Terminal.CharacterMode(saved));
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

    private static void Apply(byte[] settings) => Terminal.SetStdin(settings);
}
