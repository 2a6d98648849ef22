using System.ComponentModel;
using System.Net;
using System.Net.Sockets;
using Switchboard.Interop;
using Switchboard.Protocols;

namespace Switchboard.Engines.Uring;

/// <summary>
/// Runs the uring engine's loops. The first loop also accepts, with one multishot accept, and
/// hands each connection to the loops in turn (round robin), as the epoll engine does and for
/// the same reasons (<c>ReadinessAcceptor</c>): one listener, no SO_REUSEPORT, so the connection
/// limit and port 0 stay exact and a second server cannot bind the same port. A multishot accept
/// per loop on the one shared listener was the other choice; it would wake every loop's ring for
/// each client and spread them as the kernel's wait queue pleases, not evenly.
/// </summary>
internal sealed class UringAcceptor : DescriptorAcceptor<UringLoop, UringConnection>
{
    private readonly UringLoop[] _loops;

    public UringAcceptor(ServerRuntime runtime, string name, int loopCount, bool wholeReceiveBuffers = false)
        : base(runtime)
    {
        _loops = new UringLoop[loopCount];
        using var spare = new DescriptorReservation(SpareWhileMakingLoops);
        spare.Reserve();
        for (int i = 0; i < loopCount; i++)
        {
            try
            {
                _loops[i] = new UringLoop($"switchboard-{name}-{i}", runtime.Logger, runtime.Metrics, wholeReceiveBuffers);
            }
            catch (Win32Exception e)
            {
                spare.Release();
                for (int j = 0; j < i; j++)
                    _loops[j].Dispose();
                string why = e.NativeErrorCode is Interop.Interop.Errno.EMFILE or Interop.Interop.Errno.ENFILE or Interop.Interop.Uring.ENOMEM
                    ? e.Message
                    : UringProbe.DescribeSetupFailure(e.NativeErrorCode);
                throw new ServerStartException($"cannot create {name} event loop {i + 1} of {loopCount}: {why}", e);
            }
        }
    }

    private const int SpareWhileMakingLoops = 8;

    public override Task Stopped => _loops[0].ListenerClosed;

    public override void Start(Socket listener)
    {
        NoteListener(listener);
        Runtime.MeasureDescriptorBudget(); // the loops' rings and eventfds are open; no client is yet
        _loops[0].Listen(listener, Runtime.Options.Backlog, () => Runtime.DescriptorHeadroom, (socket, remote) => HandOff(_loops, socket, remote), OnAcceptFailed);
        foreach (var loop in _loops)
            loop.Start();

        // A loop owns its ring once its thread runs (the kernel binds a one-thread ring to the
        // thread that enables it): wait for each to say so, so that a loop that cannot never
        // leaves a listening server with connections handed to a loop that is not there. The
        // probe has enabled such a ring already, so this fails only on a host that changed since.
        for (int i = 0; i < _loops.Length; i++)
        {
            try
            {
                if (!_loops[i].Bound.Wait(LoopStartTimeout))
                    throw new ServerStartException($"uring event loop {i + 1} of {_loops.Length} did not start within {LoopStartTimeout.TotalSeconds:0} s");
            }
            catch (AggregateException e) when (e.InnerException is { } why)
            {
                throw new ServerStartException($"cannot start uring event loop {i + 1} of {_loops.Length}: {why.Message}", why);
            }
        }
    }

    private static readonly TimeSpan LoopStartTimeout = TimeSpan.FromSeconds(10);

    public override void StopAccepting() => _loops[0].Execute(_loops[0].StopListening);

    public override void Dispose()
    {
        foreach (var loop in _loops)
            loop.Stop();
        foreach (var loop in _loops)
            loop.Dispose();
        base.Dispose();
    }

    protected override UringConnection CreateConnection(long id, SafeSocketDescriptor socket, IPEndPoint remote, Protocol protocol, UringLoop loop) =>
        new(id, socket, remote, LocalEndPointOf(socket), protocol, Runtime, loop);
}
