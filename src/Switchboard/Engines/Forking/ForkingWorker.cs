using System.Globalization;
using static Switchboard.Interop.Interop;

namespace Switchboard.Engines.Forking;

/// <summary>
/// Worker mode of the forking engine. A forking server's workers are the same program, started
/// again with the same arguments and an environment variable naming the descriptors they inherit
/// (like Python multiprocessing's "spawn"). Call <see cref="Initialize"/> first thing in
/// <c>Main</c>; in a worker it returns true, and the program should then skip what only the
/// parent does (printing where it listens, say) and start the same <see cref="Server"/> as the
/// parent would: in a worker, <see cref="Server.Start"/> serves connections from the parent's
/// listening socket instead of binding one. A worker ends when <see cref="Server.AcceptingEnded"/>
/// completes (its quota served) or on SIGTERM from the parent.
/// </summary>
public static class ForkingWorker
{
    /// <summary>The environment variable that marks a worker: "LISTENER_FD,CONTROL_FD,PARENT_PID".</summary>
    public const string EnvironmentVariable = "SWITCHBOARD_FORKING_WORKER";

    private static readonly Lazy<WorkerDescriptors?> Descriptors = new(Parse);
    private static readonly Lazy<ParentLink?> Link = new(() => Descriptors.Value is { } d ? new ParentLink(d.ControlFd) : null);

    /// <summary>In a worker, the channel to the parent, where state shared between connections lives; null elsewhere.</summary>
    public static ParentLink? Parent => Link.Value;

    /// <summary>True in a worker process of the forking engine.</summary>
    public static bool IsCurrentProcess => Descriptors.Value is not null;

    /// <summary>
    /// In a worker: arranges to be sent SIGTERM should the parent die or close the control
    /// channel (so no worker is ever orphaned), and returns true. Elsewhere: does nothing and returns false.
    /// </summary>
    /// <exception cref="InvalidOperationException">The parent is already gone, or the variable is malformed.</exception>
    public static bool Initialize()
    {
        if (Descriptors.Value is not { } descriptors)
            return false;
        // Read once and kept: processes this worker starts must not take themselves for workers.
        Environment.SetEnvironmentVariable(EnvironmentVariable, null);
        ProcessControl.SignalMeWhenParentDies(ProcessControl.SIGTERM);
        if (ProcessControl.GetParentProcessId() != descriptors.ParentPid)
            throw new InvalidOperationException("the forking server that started this worker has already exited");
        ParentWatch.Start(descriptors.ControlFd);
        return true;
    }

    internal static WorkerDescriptors? Current => Descriptors.Value;

    private static WorkerDescriptors? Parse()
    {
        string? value = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(value))
            return null;
        string[] parts = value.Split(',');
        if (parts.Length != 3 || !TryParse(parts[0], out int listener) || !TryParse(parts[1], out int control) || !TryParse(parts[2], out int parent))
            throw new InvalidOperationException($"{EnvironmentVariable}='{value}' is not LISTENER_FD,CONTROL_FD,PARENT_PID; it is set only by a forking server for its workers");
        return new WorkerDescriptors(listener, control, parent);
    }

    private static bool TryParse(string text, out int number) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out number);
}

/// <summary>What a worker inherits: the listening socket, its end of the control channel, and who its parent is.</summary>
internal sealed record WorkerDescriptors(int ListenerFd, int ControlFd, int ParentPid);
