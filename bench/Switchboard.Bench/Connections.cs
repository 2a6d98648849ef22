using System.Net;
using System.Net.Sockets;

namespace Switchboard.Bench;

/// <summary>Opening many client connections, from several 127.0.0.x source addresses where one address's ephemeral ports would run out.</summary>
internal static class Connections
{
    private const int PerSourceAddress = 20_000;

    // A connect that neither completes nor fails (a full backlog drops SYNs) ends the run this soon.
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    // Connects in flight at once, unless told otherwise. A sliding window, not batches: a batch
    // waits for its slowest connect, which left the generator idle and understated the server's
    // accept rate.
    private const int DefaultWindow = 100;

    /// <summary>
    /// Opens <paramref name="count"/> connections (with <paramref name="tls"/>, each with its TLS
    /// handshake done); disposing the result closes them all.
    /// <paramref name="interrupt"/> (Ctrl-C) closes what opened and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public static async Task<OpenConnections> OpenAsync(IPEndPoint target, int count, BenchTls? tls, CancellationToken interrupt)
    {
        var sockets = new OpenConnections(count);
        try
        {
            await OpenMoreAsync(sockets, target, count, DefaultWindow, tls, interrupt).ConfigureAwait(false);
            interrupt.ThrowIfCancellationRequested();
            return sockets;
        }
        catch
        {
            sockets.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens connections into <paramref name="sockets"/> until it holds <paramref name="total"/>,
    /// <paramref name="window"/> connects in flight at once.
    /// The first connect that fails stops the whole window at once (the others' connects are
    /// cancelled) and its error is the one thrown. <paramref name="interrupt"/> (Ctrl-C) stops
    /// the window too, without an error: <paramref name="sockets"/> holds what opened.
    /// </summary>
    public static async Task OpenMoreAsync(OpenConnections sockets, IPEndPoint target, int total, int window, BenchTls? tls, CancellationToken interrupt)
    {
        int first = sockets.Count;
        var opened = new BenchConnection?[total - first];
        int next = first - 1;
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        Exception? firstFailure = null;
        async Task OpenInTurnAsync()
        {
            try
            {
                for (int index = Interlocked.Increment(ref next); index < total && !abandon.IsCancellationRequested; index = Interlocked.Increment(ref next))
                    opened[index - first] = await OpenOneAsync(target, index, tls, abandon.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (abandon.IsCancellationRequested)
            {
                // another connect failed first: that failure is the one reported
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref firstFailure, e, null);
                await abandon.CancelAsync().ConfigureAwait(false);
            }
        }

        // One at a time is a client's blocking connect loop, as fast as one thread can go: an
        // async connect each costs the generator more than the server's accept.
        void OpenOneByOne()
        {
            try
            {
                for (int index = first; index < total && !abandon.IsCancellationRequested; index++)
                    opened[index - first] = OpenOneBlocking(target, index, tls, abandon.Token);
            }
            catch (OperationCanceledException) when (abandon.IsCancellationRequested)
            {
                // interrupted mid-handshake: what opened is kept, as on the other path
            }
            catch (Exception e)
            {
                firstFailure = e;
            }
        }

        try
        {
            if (window == 1)
                await Task.Factory.StartNew(OpenOneByOne, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            else
                await Task.WhenAll(Enumerable.Range(0, Math.Min(window, opened.Length)).Select(_ => OpenInTurnAsync())).ConfigureAwait(false);
        }
        finally
        {
            // Keep what opened, even when a connect failed, so the caller's Dispose closes it.
            sockets.AddRange(opened.OfType<BenchConnection>());
        }

        if (firstFailure is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(firstFailure);
    }

    private static BenchConnection OpenOneBlocking(IPEndPoint target, int index, BenchTls? tls, CancellationToken abandon)
    {
        // On Linux a blocking connect gives up after the send timeout (SO_SNDTIMEO), failing with
        // EINPROGRESS: without one, a target that drops every SYN would hold it for two minutes.
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, SendTimeout = (int)ConnectTimeout.TotalMilliseconds };
        try
        {
            BindSourceAddress(socket, target, index);
            socket.Connect(target);
            socket.SendTimeout = 0;
            if (tls is null)
                return new BenchConnection(socket, null);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(abandon);
            timeout.CancelAfter(ConnectTimeout); // a target that never answers the hello, as the connect
            return new BenchConnection(socket, tls.Authenticate(socket, timeout.Token));
        }
        catch (OperationCanceledException) when (!abandon.IsCancellationRequested)
        {
            socket.Dispose();
            throw new BenchException($"cannot connect to {target}: no TLS handshake answer within {ConnectTimeout.TotalSeconds:0} s");
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.InProgress or SocketError.WouldBlock or SocketError.TimedOut)
        {
            socket.Dispose();
            throw new BenchException($"cannot connect to {target}: no answer within {ConnectTimeout.TotalSeconds:0} s");
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new BenchException($"cannot connect to {target}: {e.Message}", e);
        }
        catch (BenchException)
        {
            socket.Dispose();
            throw;
        }
    }

    // Past one address's ephemeral ports, connect from 127.0.0.2, 127.0.0.3 and so on.
    private static void BindSourceAddress(Socket socket, IPEndPoint target, int index)
    {
        if (IPAddress.IsLoopback(target.Address) && target.AddressFamily == AddressFamily.InterNetwork && index >= PerSourceAddress)
            socket.Bind(new IPEndPoint(new IPAddress([127, 0, 0, (byte)(1 + (index / PerSourceAddress))]), 0));
    }

    private static async Task<BenchConnection> OpenOneAsync(IPEndPoint target, int index, BenchTls? tls, CancellationToken abandon)
    {
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            BindSourceAddress(socket, target, index);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(abandon);
            timeout.CancelAfter(ConnectTimeout);
            await socket.ConnectAsync(target, timeout.Token).ConfigureAwait(false);
            var stream = tls is null ? null : await tls.AuthenticateAsync(socket, timeout.Token).ConfigureAwait(false);
            return new BenchConnection(socket, stream);
        }
        catch (Exception e) when (abandon.IsCancellationRequested)
        {
            socket.Dispose();
            throw new OperationCanceledException("another connect failed", e, abandon);
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            throw new BenchException($"cannot connect to {target}: no answer within {ConnectTimeout.TotalSeconds:0} s");
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new BenchException($"cannot connect to {target}: {e.Message}", e);
        }
        catch (BenchException)
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>Client connections that close together.</summary>
internal sealed class OpenConnections(int capacity) : List<BenchConnection>(capacity), IDisposable
{
    public void Dispose()
    {
        foreach (var socket in this)
            socket.Dispose();
    }
}
