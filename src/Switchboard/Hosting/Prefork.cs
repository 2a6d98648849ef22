using System.Globalization;
using System.Net.Sockets;
using static Switchboard.Interop.Interop;

namespace Switchboard.Hosting;

/// <summary>
/// How this process takes part in a prefork server (the forking engine): as an ordinary process,
/// or as one of a pool's workers. A worker is the same program started again, with the same
/// arguments and an environment variable naming the descriptors it inherits (like Python
/// multiprocessing's "spawn"), so a program that may serve on the forking engine makes one call,
/// <see cref="InitializeWorker"/>, first thing in <c>Main</c>, and then runs as it always does: in
/// a worker, <see cref="Server.Start()"/> serves connections from the parent's listening socket
/// instead of binding one, and the program should skip what only the parent does (printing where
/// it listens, say). A program that never uses the forking engine calls nothing here.
/// </summary>
public static class Prefork
{
    /// <summary>The environment variable that marks a worker: "LISTENER_FD,CONTROL_FD,PARENT_PID,LISTENER_NAME".</summary>
    public const string WorkerEnvironmentVariable = "SWITCHBOARD_FORKING_WORKER";

    private static readonly Lazy<WorkerDescriptors?> Descriptors = new(Parse);
    private static readonly Lazy<ParentChannel?> Channel = new(() => Descriptors.Value is { } d ? new ParentChannel(d.Control) : null);

    /// <summary>True in a worker process of a prefork pool.</summary>
    public static bool IsWorker => Descriptors.Value is not null;

    /// <summary>
    /// In a worker, the channel to the parent, where state shared between connections lives (a
    /// worker shares no memory with the others); null in any other process.
    /// </summary>
    public static ParentChannel? Parent => Channel.Value;

    /// <summary>
    /// In a worker, the <see cref="ServerOptions.ListenerName"/> of the server it was started for:
    /// of the servers the program makes again, only that one serves here. Null in any other process.
    /// </summary>
    public static string? ListenerName => Descriptors.Value?.ListenerName;

    /// <summary>
    /// The one call a program that may serve on the forking engine makes, first thing in
    /// <c>Main</c>. In a worker: arranges to be sent SIGTERM should the parent die or close the
    /// control channel (so no worker is ever orphaned), and returns true. Elsewhere: does nothing
    /// and returns false.
    /// </summary>
    /// <exception cref="InvalidOperationException">The parent is already gone, or the variable is malformed.</exception>
    public static bool InitializeWorker()
    {
        if (Descriptors.Value is not { } descriptors)
            return false;
        // Read once and kept: processes this worker starts must not take themselves for workers,
        // nor inherit what it inherited: the listener would keep the port open after the server
        // closed it, and the control channel would hide this worker's death from the parent.
        Environment.SetEnvironmentVariable(WorkerEnvironmentVariable, null);
        Fcntl.SetCloseOnExec(descriptors.Listener, true);
        Fcntl.SetCloseOnExec(descriptors.Control, true);
        ProcessControl.SignalMeWhenParentDies(ProcessControl.SIGTERM);
        if (ProcessControl.GetParentProcessId() != descriptors.ParentPid)
            throw new InvalidOperationException("the forking server that started this worker has already exited");
        ParentWatch.Start(descriptors.Control);
        return true;
    }

    /// <summary>In a worker, what it inherited; null elsewhere.</summary>
    internal static WorkerDescriptors? Inherited => Descriptors.Value;

    private static WorkerDescriptors? Parse()
    {
        string? value = Environment.GetEnvironmentVariable(WorkerEnvironmentVariable);
        if (string.IsNullOrEmpty(value))
            return null;
        string[] parts = value.Split(',', 4);
        if (parts.Length != 4 || !TryParse(parts[0], out int listener) || !TryParse(parts[1], out int control) || !TryParse(parts[2], out int parent))
            throw new InvalidOperationException($"{WorkerEnvironmentVariable}='{value}' is not LISTENER_FD,CONTROL_FD,PARENT_PID,LISTENER_NAME; it is set only by a forking server for its workers");
        return new WorkerDescriptors(new SafeSocketHandle(listener, ownsHandle: true), new SafeSocketHandle(control, ownsHandle: true), parent, parts[3]);
    }

    private static bool TryParse(string text, out int number) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out number);
}

/// <summary>What a worker inherits: the listening socket and its name, its end of the control channel, and who its parent is.</summary>
internal sealed record WorkerDescriptors(SafeSocketHandle Listener, SafeSocketHandle Control, int ParentPid, string ListenerName);
