using System.Buffers.Binary;

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

    /// <summary>The length a frame's header announces (the kind byte and the payload).</summary>
    /// <exception cref="InvalidDataException">It is not a frame's.</exception>
    public static int CheckedLength(ReadOnlySpan<byte> header)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length is < 1 or > MaxFrame)
            throw new InvalidDataException($"control channel frame of {length} bytes");
        return length;
    }
}
