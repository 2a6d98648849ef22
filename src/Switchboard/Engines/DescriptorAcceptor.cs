using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using Switchboard.Interop;
using Switchboard.Protocols;

namespace Switchboard.Engines;

/// <summary>An event loop that connections are handed to: work run on its thread, and adoption there.</summary>
/// <typeparam name="TConnection">Its connections.</typeparam>
internal interface IAdoptingLoop<in TConnection>
    where TConnection : ConnectionBase
{
    /// <summary>Runs <paramref name="action"/> on the loop's thread.</summary>
    void Execute(Action action);

    /// <summary>On the loop's thread: registers <paramref name="connection"/> and starts it; false, with why, if the kernel would not register it.</summary>
    bool TryAdopt(TConnection connection, [NotNullWhen(false)] out Exception? error);
}

/// <summary>
/// What the acceptors of the engines that take connections as bare descriptors share (the
/// readiness engines and uring): the hand-off of each accepted client to the loops in turn,
/// every connection's local end, the refusal of a client accepted with the spare descriptor, and
/// the withdrawal of one its loop could not register.
/// </summary>
/// <typeparam name="TLoop">The engine's loop.</typeparam>
/// <typeparam name="TConnection">The engine's connection.</typeparam>
internal abstract class DescriptorAcceptor<TLoop, TConnection>(ServerRuntime runtime) : Acceptor(runtime)
    where TLoop : IAdoptingLoop<TConnection>
    where TConnection : ConnectionBase
{
    private int _next; // the loop the next connection goes to: on the accepting loop's thread only

    // Every connection's local end when the listener is bound to one address: shared, rather than
    // a copy per connection. Null for a wildcard listener, whose connections' local ends differ.
    private EndPoint? _sharedLocalEndPoint;

    /// <summary>Notes the listener's address, before the first accept.</summary>
    protected void NoteListener(Socket listener)
    {
        if (listener.LocalEndPoint is IPEndPoint local && !local.Address.Equals(IPAddress.Any) && !local.Address.Equals(IPAddress.IPv6Any))
            _sharedLocalEndPoint = new IPEndPoint(local.Address, local.Port); // not the server's own, which callers can reach
    }

    /// <summary>A connection's local end: the listener's, or its own for a wildcard listener.</summary>
    protected EndPoint LocalEndPointOf(SafeSocketDescriptor socket) =>
        _sharedLocalEndPoint ?? Interop.Interop.SocketIo.LocalEndPoint(socket);

    /// <summary>An accept failed; <paramref name="socket"/>, if any, is a client taken with the spare descriptor, refused.</summary>
    protected void OnAcceptFailed(SafeSocketDescriptor? socket, IPEndPoint? remote, SocketException error)
    {
        Runtime.OnAcceptFailed(error);
        if (socket is not null)
            Runtime.Refuse(socket, remote, ServerRuntime.OutOfDescriptors);
    }

    /// <summary>
    /// An accepted client, on the accepting loop's thread: admitted (or refused) by the runtime and
    /// handed to the next of <paramref name="loops"/> in turn (round robin), which adopts it on its
    /// own thread, or withdraws it with a refusal line if the kernel would not register it.
    /// </summary>
    protected void HandOff(TLoop[] loops, SafeSocketDescriptor socket, IPEndPoint remote)
    {
        var loop = loops[_next];
        _next = (_next + 1) % loops.Length;
        var connection = Runtime.Admit(socket, remote, (id, protocol) => CreateConnection(id, socket, remote, protocol, loop));
        if (connection is not null)
            loop.Execute(() => Adopt(loop, connection, socket));
    }

    /// <summary>The engine's connection for an admitted client, served by <paramref name="loop"/>.</summary>
    protected abstract TConnection CreateConnection(long id, SafeSocketDescriptor socket, IPEndPoint remote, Protocol protocol, TLoop loop);

    // On the connection's loop.
    private void Adopt(TLoop loop, TConnection connection, SafeSocketDescriptor socket)
    {
        if (!loop.TryAdopt(connection, out var error))
            Runtime.Withdraw(connection, socket, ServerRuntime.Unregistered(error));
    }
}
