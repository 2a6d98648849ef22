using System.Net.Security;
using System.Net.Sockets;

namespace Switchboard.Bench;

/// <summary>
/// One client connection of a load: its socket, and with <c>--tls</c> the TLS stream over it. Plain
/// connections use the socket's own async calls, as before TLS existed, so their figures are
/// unchanged; TLS failures surface as <see cref="SocketException"/>, which every load counts.
/// </summary>
internal sealed class BenchConnection(Socket socket, SslStream? tls) : IDisposable
{
    public Socket Socket => socket;

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellation) =>
        tls is null ? socket.ReceiveAsync(buffer, SocketFlags.None, cancellation) : ReadTlsAsync(tls, buffer, cancellation);

    /// <summary>Sends all of <paramref name="data"/> (TLS) or what the socket takes (plain, all of it for an async send); returns the count.</summary>
    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellation) =>
        tls is null ? socket.SendAsync(data, SocketFlags.None, cancellation) : WriteTlsAsync(tls, data, cancellation);

    public void Dispose()
    {
        tls?.Dispose();
        socket.Dispose();
    }

    private static async ValueTask<int> ReadTlsAsync(SslStream tls, Memory<byte> buffer, CancellationToken cancellation)
    {
        try
        {
            return await tls.ReadAsync(buffer, cancellation).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw AsSocketError(e);
        }
    }

    private static async ValueTask<int> WriteTlsAsync(SslStream tls, ReadOnlyMemory<byte> data, CancellationToken cancellation)
    {
        try
        {
            await tls.WriteAsync(data, cancellation).ConfigureAwait(false);
            return data.Length;
        }
        catch (IOException e)
        {
            throw AsSocketError(e);
        }
    }

    private static SocketException AsSocketError(IOException e) =>
        e.InnerException as SocketException ?? new SocketException((int)SocketError.ConnectionAborted, $"TLS: {e.Message}");
}
