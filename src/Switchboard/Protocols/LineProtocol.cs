using System.Buffers;
using System.Text;

namespace Switchboard.Protocols;

/// <summary>
/// A protocol of text lines (asynchat, Twisted's <c>LineReceiver</c>): splits the stream on
/// <c>\n</c>, drops a <c>\r</c> before it, decodes UTF-8 (invalid bytes become U+FFFD), and hands
/// each line to <see cref="OnLineReceived"/>. The lines are the same however the stream is
/// chunked. A line longer than <see cref="MaxLineLength"/> bytes is never buffered whole:
/// <see cref="OnLineTooLong"/> runs as soon as the limit is passed, and the rest of that line is
/// discarded.
/// </summary>
public abstract class LineProtocol : Protocol
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private byte[] _line = [];
    private int _length;
    private bool _discarding;

    /// <summary>The longest line accepted, in bytes, without its line end. Default: the server's <see cref="ServerOptions.MaxLineLength"/>.</summary>
    protected virtual int MaxLineLength => Connection.Options.MaxLineLength;

    /// <summary>Called with each complete line, without its line end.</summary>
    /// <param name="line">The decoded line.</param>
    protected abstract void OnLineReceived(string line);

    /// <summary>
    /// Called once for a line that passed <see cref="MaxLineLength"/>; its bytes are discarded up
    /// to the next line end. By default sends <c>error: line too long (max N bytes)</c> and closes
    /// the connection.
    /// </summary>
    protected virtual void OnLineTooLong()
    {
        SendLine($"error: line too long (max {MaxLineLength} bytes)");
        Connection.Close();
    }

    /// <summary>Sends <paramref name="line"/> encoded as UTF-8, followed by <c>\n</c>.</summary>
    /// <param name="line">The text, without a line end.</param>
    /// <returns>False if it was not queued (see <see cref="IConnection.Send"/>).</returns>
    protected bool SendLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        int max = Encoding.UTF8.GetMaxByteCount(line.Length) + 1;
        byte[]? rented = null;
        Span<byte> buffer = max <= 512 ? stackalloc byte[max] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            int n = Encoding.UTF8.GetBytes(line, buffer);
            buffer[n++] = NewLine[0];
            return Connection.Send(buffer[..n]);
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <inheritdoc />
    public sealed override void OnReceived(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty && Connection.IsOpen)
        {
            int end = data.IndexOf((byte)'\n');
            var piece = end < 0 ? data : data[..end];
            if (_discarding)
            {
                if (end >= 0)
                    _discarding = false;
            }
            else if (!Append(piece))
            {
                _length = 0;
                _discarding = end < 0;
                OnLineTooLong();
            }
            else if (end >= 0)
            {
                EmitLine();
            }

            data = end < 0 ? default : data[(end + 1)..];
        }
    }

    private bool Append(ReadOnlySpan<byte> piece)
    {
        // A trailing '\r' is not part of the line, so allow one byte over the limit for it.
        if (_length + piece.Length > MaxLineLength + 1)
            return false;
        if (_line.Length < _length + piece.Length)
            Array.Resize(ref _line, Math.Min(Math.Max(_line.Length * 2, Math.Max(64, _length + piece.Length)), MaxLineLength + 1));
        piece.CopyTo(_line.AsSpan(_length));
        _length += piece.Length;
        return true;
    }

    private void EmitLine()
    {
        var bytes = _line.AsSpan(0, _length);
        if (!bytes.IsEmpty && bytes[^1] == (byte)'\r')
            bytes = bytes[..^1];
        _length = 0;
        if (bytes.Length > MaxLineLength)
        {
            OnLineTooLong();
            return;
        }

        OnLineReceived(Encoding.UTF8.GetString(bytes));
    }
}
