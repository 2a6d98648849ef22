using System.ComponentModel;
using System.Net;
using System.Net.Sockets;
using Switchboard.Interop;
using Switchboard.Protocols;

namespace Switchboard.Engines.Readiness;

/// <summary>
/// Runs an engine's readiness loops. The first loop also accepts, and hands each connection to
/// the loops in turn (round robin). One acceptor rather than an SO_REUSEPORT listener per loop,
/// because measuring both (epoll, two loops, 2026-11-25, docs/benchmarks.md's machine) found no
/// difference: churn 13,800-14,100 connections/s either way, 10,000 idle connections accepted at
/// 20,600 against 21,400 a second, ping-pong with 100 clients within run-to-run noise. Accepting
/// costs little next to serving. And SO_REUSEPORT has costs: the kernel's hash spreads a few
/// loops unevenly, port 0 and the connection limit are harder to keep exact, and it would let a
/// second server bind the same port and take half the clients instead of failing "in use".
/// </summary>
internal sealed class ReadinessAcceptor : DescriptorAcceptor<ReadinessLoop, LoopConnection>
{
    private readonly ReadinessLoop[] _loops;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ReadinessAcceptor(ServerRuntime runtime, IReadinessEngine engine, int loopCount)
        : base(runtime)
    {
        _loops = new ReadinessLoop[loopCount];

        // Each loop holds descriptors (its multiplexer, its wake-up pair), so too many loops run the
        // process out of them. Spare descriptors, held while the loops are made and let go first on
        // failure, leave room for what the runtime opens next (the error line's stderr, say).
        using var spare = new DescriptorReservation(SpareWhileMakingLoops);
        spare.Reserve();
        for (int i = 0; i < loopCount; i++)
        {
            IMultiplexer? multiplexer = null;
            try
            {
                multiplexer = engine.CreateMultiplexer();
                _loops[i] = new ReadinessLoop($"switchboard-{engine.Name}-{i}", multiplexer, runtime.Logger, runtime.Metrics);
            }
            catch (Exception e) when (e is Win32Exception or SocketException)
            {
                spare.Release();
                multiplexer?.Dispose();
                for (int j = 0; j < i; j++)
                    _loops[j].Dispose();

                throw new ServerStartException($"cannot create {engine.Name} event loop {i + 1} of {loopCount}: {e.Message}", e);
            }
        }
    }

    // Enough for the error line and whatever the runtime opens on the way to it.
    private const int SpareWhileMakingLoops = 8;

    public override Task Stopped => _stopped.Task;

    public override void Start(Socket listener)
    {
        NoteListener(listener);
        _loops[0].Listen(listener, (socket, remote) => HandOff(_loops, socket, remote), OnAcceptFailed);
        foreach (var loop in _loops)
            loop.Start();
    }

    public override void StopAccepting() => _loops[0].Execute(() =>
    {
        _loops[0].StopListening();
        _stopped.TrySetResult();
    });

    public override void Dispose()
    {
        foreach (var loop in _loops)
            loop.Stop();
        foreach (var loop in _loops)
            loop.Dispose();
        _stopped.TrySetResult();
        base.Dispose();
    }

    protected override LoopConnection CreateConnection(long id, SafeSocketDescriptor socket, IPEndPoint remote, Protocol protocol, ReadinessLoop loop) =>
        new(id, socket, remote, LocalEndPointOf(socket), protocol, Runtime, loop);
}
