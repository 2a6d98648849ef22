using System.Globalization;
using System.Net.Sockets;

namespace Switchboard.Hosting;

/// <summary>
/// systemd's socket activation (<c>sd_listen_fds(3)</c>): the listening sockets a service manager
/// opened and passed to this process as descriptors 3, 4, … (<c>LISTEN_FDS</c> of them, for the
/// process <c>LISTEN_PID</c>, named by <c>LISTEN_FDNAMES</c>). Serve one with
/// <see cref="Server.Start(Socket)"/> instead of binding a port.
/// </summary>
public static class SocketActivation
{
    /// <summary>The first descriptor passed: <c>SD_LISTEN_FDS_START</c>.</summary>
    public const int FirstDescriptor = 3;

    /// <summary>
    /// Takes the sockets passed to this process, once: afterwards (and in the processes it
    /// starts) there are none, as the variables are cleared and the descriptors are closed on
    /// exec. Empty when none were passed, or they were meant for another process.
    /// </summary>
    /// <exception cref="ServerStartException">The variables are malformed, or a descriptor cannot be taken (one line, saying which).</exception>
    public static IReadOnlyList<ActivatedSocket> TakeListeners()
    {
        string? pidText = Environment.GetEnvironmentVariable("LISTEN_PID");
        string? countText = Environment.GetEnvironmentVariable("LISTEN_FDS");
        string? namesText = Environment.GetEnvironmentVariable("LISTEN_FDNAMES");
        foreach (string variable in (string[])["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"])
            Environment.SetEnvironmentVariable(variable, null);
        if (pidText is null || countText is null)
            return [];
        if (!int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            throw new ServerStartException($"socket activation: LISTEN_PID is not a process id ('{pidText}')");
        if (pid != Environment.ProcessId)
            return [];
        if (!int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count > 64)
            throw new ServerStartException($"socket activation: LISTEN_FDS is not a count of descriptors ('{countText}')");
        if (!OperatingSystem.IsLinux())
            throw new ServerStartException("socket activation: passed descriptors are taken on Linux only");

        string[] names = namesText?.Split(':') ?? [];
        var sockets = new List<ActivatedSocket>(count);
        for (int i = 0; i < count; i++)
        {
            int fd = FirstDescriptor + i;
            var handle = new SafeSocketHandle(fd, ownsHandle: true);
            try
            {
                // Blocking, as systemd passes it unless told otherwise; said before .NET adopts it,
                // so that its idea of the mode is true. Not inherited by the workers a forking server starts.
                Interop.Interop.Fcntl.SetNonBlocking(handle, false);
                Interop.Interop.Fcntl.SetCloseOnExec(handle, true);
                sockets.Add(new ActivatedSocket(new Socket(handle), i < names.Length && names[i].Length > 0 ? names[i] : ""));
            }
            catch (Exception e) when (e is SocketException or System.ComponentModel.Win32Exception or IOException)
            {
                handle.Dispose();
                foreach (var taken in sockets)
                    taken.Socket.Dispose();
                throw new ServerStartException($"socket activation: descriptor {fd} cannot be taken: {e.Message}", e);
            }
        }

        return sockets;
    }
}

/// <summary>A listening socket passed by the service manager (<see cref="SocketActivation"/>).</summary>
/// <param name="Socket">The socket, as passed (bound, listening).</param>
/// <param name="Name">Its name (systemd's <c>FileDescriptorName=</c>); empty when not named.</param>
public sealed record ActivatedSocket(Socket Socket, string Name);
