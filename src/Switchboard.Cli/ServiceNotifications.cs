using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Switchboard.Cli;

/// <summary>
/// What <c>serve</c> tells a service manager that asked (systemd's <c>Type=notify</c>: the
/// <c>NOTIFY_SOCKET</c> variable): <c>READY=1</c> once it listens, <c>STOPPING=1</c> when it starts
/// to shut down, and <c>WATCHDOG=1</c> at half the interval <c>WATCHDOG_USEC</c> asks for, while the
/// process lives. Nothing when no manager asked. Only the process that was started says anything:
/// a forking server's workers inherit the variables but not the role.
/// </summary>
/// <remarks>
/// The datagrams go out on a non-blocking socket: a manager that does not read (its queue full)
/// loses a message rather than stalling the server, its shutdown least of all.
/// </remarks>
internal sealed class ServiceNotifications : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _manager;
    private readonly Timer? _watchdog;

    public ServiceNotifications()
    {
        if (Hosting.Prefork.IsWorker || Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is not { Length: > 0 } path)
            return;

        // "@name" is a name in the abstract namespace, which the socket address spells with a NUL.
        _manager = new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
        if (WatchdogInterval() is { } interval)
            _watchdog = new Timer(_ => Notify("WATCHDOG=1"), null, TimeSpan.Zero, interval / 2);
    }

    /// <summary>The server listens: <c>READY=1</c>, with a <c>STATUS=</c> line saying where.</summary>
    public void Ready(string status) => Notify($"READY=1\nSTATUS={status}");

    /// <summary>The server is shutting down: <c>STOPPING=1</c>.</summary>
    public void Stopping() => Notify("STOPPING=1");

    /// <summary>
    /// A reload begins (SIGHUP): RELOADING=1, with the monotonic time systemd's Type=notify-reload
    /// asks for; <see cref="Ready"/> says it is over.
    /// </summary>
    public void Reloading() =>
        Notify($"RELOADING=1\nMONOTONIC_USEC={System.Diagnostics.Stopwatch.GetTimestamp() / (System.Diagnostics.Stopwatch.Frequency / 1_000_000)}");

    public void Dispose()
    {
        _watchdog?.Dispose();
        _socket?.Dispose();
    }

    private void Notify(string message)
    {
        if (_socket is null)
            return;
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(message), _manager!);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Best effort, as sd_notify is: the manager may be gone, or not reading.
        }
    }

    /// <summary>
    /// The watchdog interval systemd asks for (<c>WATCHDOG_USEC</c>), if it is meant for this
    /// process (<c>WATCHDOG_PID</c> absent or this process's id).
    /// </summary>
    private static TimeSpan? WatchdogInterval()
    {
        if (!long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out long usec) || usec <= 0)
            return null;
        string? pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (!string.IsNullOrEmpty(pid) && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            return null;
        return TimeSpan.FromTicks(usec * 10);
    }
}
