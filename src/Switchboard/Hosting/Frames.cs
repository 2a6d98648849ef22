using System.Buffers.Binary;
using System.Net.Sockets;

namespace Switchboard.Hosting;

/// <summary>
/// The control channel's framing, both ways: a 4-byte little-endian length, then a kind byte and
/// the payload. Kinds: a worker's status, an app's message (the shared-state channel), the
/// parent's stop, or its request to retire (the server's options changed).
/// </summary>
internal static class Frames
{
    public const byte Status = 1;
    public const byte Message = 2;
    public const byte Stop = 3; // parent to worker: say goodbye and exit, after the messages before
    public const byte Retire = 4; // parent to worker: take no more connections; finish the one served, then exit

    private const int MaxFrame = 16 * 1024 * 1024;

    public static byte[] Build(byte kind, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[4 + 1 + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, 1 + payload.Length);
        frame[4] = kind;
        payload.CopyTo(frame.AsSpan(5));
        return frame;
    }

    /// <summary>Reads one frame (kind byte first) on a blocking socket; null at end of stream.</summary>
    public static byte[]? Read(Socket socket)
    {
        Span<byte> header = stackalloc byte[4];
        if (!ReadExactly(socket, header))
            return null;
        var frame = new byte[CheckedLength(header)];
        return ReadExactly(socket, frame) ? frame : null;
    }

    /// <summary>Reads one frame (kind byte first) asynchronously; null at end of stream.</summary>
    public static async Task<byte[]?> ReadAsync(Socket socket)
    {
        var header = new byte[4];
        if (!await ReadExactlyAsync(socket, header).ConfigureAwait(false))
            return null;
        var frame = new byte[CheckedLength(header)];
        return await ReadExactlyAsync(socket, frame).ConfigureAwait(false) ? frame : null;
    }

    private static int CheckedLength(ReadOnlySpan<byte> header)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length is < 1 or > MaxFrame)
            throw new InvalidDataException($"control channel frame of {length} bytes");
        return length;
    }

    private static bool ReadExactly(Socket socket, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int n = socket.Receive(buffer);
            if (n == 0)
                return false;
            buffer = buffer[n..];
        }

        return true;
    }

    private static async Task<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
            if (n == 0)
                return false;
            buffer = buffer[n..];
        }

        return true;
    }
}
