using System.Net;
using System.Net.Sockets;
using Switchboard.Interop;

namespace Switchboard.Engines;

/// <summary>
/// What the acceptors of the engines that take connections as bare descriptors share (the
/// readiness engines and uring): every connection's local end, the refusal of a client accepted
/// with the spare descriptor, and the withdrawal of one its loop could not register.
/// </summary>
internal abstract class DescriptorAcceptor(ServerRuntime runtime) : Acceptor(runtime)
{
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

    /// <summary>Withdraws a connection its loop could not register (<paramref name="error"/>), with a refusal line.</summary>
    protected void WithdrawUnregistered(ConnectionBase connection, SafeSocketDescriptor socket, Exception error) =>
        Runtime.Withdraw(connection, socket, ServerRuntime.Unregistered(error));
}
