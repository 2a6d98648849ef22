using Switchboard.Engines.Blocking;

namespace Switchboard.Engines;

/// <summary>A thread per connection, blocking reads (socketserver's <c>ThreadingMixIn</c>).</summary>
public sealed class ThreadingEngine : Engine
{
    /// <inheritdoc />
    public override string Name => "threading";

    /// <inheritdoc />
    public override string Summary => "a thread per connection, blocking reads";

    /// <summary>How the room for more threads is measured: <see cref="ThreadRoom.Measure"/>; a test may put a smaller limit in its place.</summary>
    internal Func<ThreadRoom> MeasureThreadRoom { get; init; } = ThreadRoom.Measure;

    internal override IListenerService CreateListenerService(ServerRuntime runtime) =>
        new ThreadingAcceptor(runtime, new ThreadBudget(MeasureThreadRoom, TimeProvider.System));
}
