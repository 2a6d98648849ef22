using System.Runtime.InteropServices;

namespace Switchboard.Interop;

internal static partial class Interop
{
    /// <summary>
    /// termios(3) on stdin: read the terminal's settings, and switch them between line mode and
    /// character mode (no line editing, no echo; a read returns as soon as one byte is there).
    /// The settings are kept as the raw <c>struct termios</c>, whose layout this knows for Linux on
    /// x64 and Arm64 only (glibc and musl agree there).
    /// </summary>
    internal static partial class Terminal
    {
        private const int StdinFd = 0;
        private const int TermiosSize = 60; // 4 flag words, c_line, c_cc[32], two speeds
        private const int LocalFlagsOffset = 12;
        private const int ControlCharsOffset = 17;
        private const int VTime = 5;
        private const int VMin = 6;
        private const uint ICanon = 0x2;
        private const uint Echo = 0x8;
        private const int TcsaNow = 0;

        /// <summary>Whether this machine's <c>struct termios</c> layout is the one known here.</summary>
        public static bool LayoutKnown =>
            OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

        /// <summary>Stdin's terminal settings, or null if stdin is not a terminal (or the layout is unknown).</summary>
        public static byte[]? TryGetStdin()
        {
            if (!LayoutKnown)
                return null;
            var settings = new byte[TermiosSize + 4]; // a little room to spare
            return GetAttributes(StdinFd, settings) == 0 ? settings : null;
        }

        /// <summary><paramref name="settings"/> changed to character mode: no line editing, no echo, one byte a read.</summary>
        public static byte[] CharacterMode(byte[] settings)
        {
            var changed = (byte[])settings.Clone();
            uint localFlags = BitConverter.ToUInt32(changed, LocalFlagsOffset) & ~(ICanon | Echo);
            BitConverter.TryWriteBytes(changed.AsSpan(LocalFlagsOffset), localFlags);
            changed[ControlCharsOffset + VMin] = 1;
            changed[ControlCharsOffset + VTime] = 0;
            return changed;
        }

        /// <summary>Applies <paramref name="settings"/> to stdin's terminal at once; a failure (stdin gone) is ignored.</summary>
        public static void SetStdin(byte[] settings) => _ = SetAttributes(StdinFd, TcsaNow, settings);

        [LibraryImport("libc", EntryPoint = "tcgetattr")]
        private static partial int GetAttributes(int fd, [Out] byte[] termios);

        [LibraryImport("libc", EntryPoint = "tcsetattr")]
        private static partial int SetAttributes(int fd, int optionalActions, byte[] termios);
    }
}
