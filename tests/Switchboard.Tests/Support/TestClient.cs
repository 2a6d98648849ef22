using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Switchboard.Tests.Support;

/// <summary>A plain blocking-socket client with bounded, async reads, for talking to a real server.</summary>
public sealed class TestClient : IDisposable
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private TestClient(Socket socket) => Socket = socket;

    /// <summary>A client over a socket the caller connected (bound to a chosen local address, say).</summary>
    public static TestClient Wrap(Socket socket) => new(socket);

    public Socket Socket { get; }

    public static async Task<TestClient> ConnectAsync(IPEndPoint endPoint, int? receiveBufferSize = null)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } size)
            socket.ReceiveBufferSize = size;
        using var cts = new CancellationTokenSource(Timeouts.Quick);
        await socket.ConnectAsync(endPoint, cts.Token);
        return new TestClient(socket);
    }

    public async Task SendAsync(ReadOnlyMemory<byte> data)
    {
        using var cts = new CancellationTokenSource(Timeouts.Patient);
        while (!data.IsEmpty)
        {
            int n = await Socket.SendAsync(data, SocketFlags.None, cts.Token);
            data = data[n..];
        }
    }

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>Sends <paramref name="text"/> as a line and asserts that the same line comes back (an echo server).</summary>
    public async Task AssertEchoesAsync(string text)
    {
        await SendAsync(text + "\n");
        Assert.Equal(text, await ReadLineAsync());
    }

    /// <summary>Reads one line (without its '\n'), or null at end of stream.</summary>
    public async Task<string?> ReadLineAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeouts.Quick);
        var line = new List<byte>();
        while (true)
        {
            if (_start == _end && !await FillAsync(cts.Token))
                return line.Count == 0 ? null : Encoding.UTF8.GetString([.. line]);
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                line.AddRange(_buffer.AsSpan(_start, newline - _start));
                _start = newline + 1;
                return Encoding.UTF8.GetString([.. line]);
            }

            line.AddRange(_buffer.AsSpan(_start, _end - _start));
            _start = _end;
        }
    }

    /// <summary>Reads lines until one equals <paramref name="expected"/> (or starts with it); fails on end of stream or timeout.</summary>
    public async Task ReadUntilAsync(string expected, bool prefix = false)
    {
        var seen = new List<string>();
        while (await ReadLineAsync(Timeouts.Patient) is { } line)
        {
            if (prefix ? line.StartsWith(expected, StringComparison.Ordinal) : line == expected)
                return;
            seen.Add(line);
        }

        Assert.Fail($"connection closed before '{expected}'; saw: {string.Join(" | ", seen)}");
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes; throws at end of stream.</summary>
    public async Task<byte[]> ReadExactlyAsync(int count, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeouts.Patient);
        var result = new byte[count];
        int have = 0;
        while (have < count)
        {
            if (_start == _end && !await FillAsync(cts.Token))
                throw new EndOfStreamException($"end of stream after {have} of {count} bytes");
            int n = Math.Min(count - have, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(result.AsSpan(have));
            _start += n;
            have += n;
        }

        return result;
    }

    /// <summary>Reads until the server closes; returns everything read.</summary>
    public async Task<byte[]> ReadToEndAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeouts.Patient);
        var all = new List<byte>();
        while (true)
        {
            all.AddRange(_buffer.AsSpan(_start, _end - _start));
            _start = _end;
            if (!await FillAsync(cts.Token))
                return [.. all];
        }
    }

    /// <summary>True if the server closed (end of stream or reset) within the timeout.</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan? timeout = null)
    {
        try
        {
            await ReadToEndAsync(timeout ?? Timeouts.Quick);
            return true;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>Closes with a reset (SO_LINGER 0) rather than a FIN.</summary>
    public void Reset()
    {
        Socket.LingerState = new LingerOption(true, 0);
        Socket.Close();
    }

    public void Dispose() => Socket.Dispose();

    private async Task<bool> FillAsync(CancellationToken token)
    {
        // Emptied first: a receive cut off by the timeout must not leave the last bytes to be read again.
        (_start, _end) = (0, 0);
        _end = await Socket.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None, token);
        return _end > 0;
    }
}
