using System.Buffers;
using System.Text;

namespace Switchboard.Protocols;

/// <summary>
/// A protocol of text lines (asynchat, Twisted's <c>LineReceiver</c>): splits the stream on
/// <c>\n</c>, drops a <c>\r</c> before it, decodes UTF-8 (invalid bytes become U+FFFD), and hands
/// each line to <see cref="OnLineReceived"/>. The lines are the same however the stream is
/// chunked. A line longer than <see cref="MaxLineLength"/> bytes is never buffered whole:
/// <see cref="OnLineTooLong"/> runs as soon as the limit is passed, and the rest of that line is
/// discarded; it runs again for every further <see cref="MaxLineLength"/> bytes discarded, so a
/// client that streams without ever sending a line end keeps being reported (a protocol that
/// stays connected after an overlong line can count these and give up on such a client). The
/// number of reports depends only on the line's length, not on how it was chunked. For the idle
/// timeout (<see cref="ServerOptions.IdleTimeout"/>) a line protocol's client is active when a
/// complete line arrives (or output is sent), not on every byte: a client trickling a partial
/// line a byte at a time is closed as idle.
/// </summary>
public abstract class LineProtocol : Protocol
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private byte[] _line = [];
    private int _length;
    private long _discarded; // bytes of the current overlong line, counted from its start; 0 when not discarding

    /// <summary>The longest line accepted, in bytes, without its line end. Default: the server's <see cref="ServerOptions.MaxLineLength"/>.</summary>
    protected virtual int MaxLineLength => Connection.Options.MaxLineLength;

    /// <summary>Called with each complete line, without its line end.</summary>
    /// <param name="line">The decoded line.</param>
    protected abstract void OnLineReceived(string line);

    /// <summary>
    /// Called when a line passes <see cref="MaxLineLength"/>, and again for every further
    /// <see cref="MaxLineLength"/> bytes of it; its bytes are discarded up to the next line end.
    /// By default sends <c>error: line too long (max N bytes)</c> and closes the connection (so it
    /// runs once), with the reason <see cref="DisconnectReason.LineTooLong"/>.
    /// </summary>
    protected virtual void OnLineTooLong()
    {
        SendLine($"error: line too long (max {MaxLineLength} bytes)");
        if (Connection is IReasonedClose connection)
            connection.Close(DisconnectReason.LineTooLong);
        else
            Connection.Close();
    }

    /// <summary>Only a complete line resets the idle timer: bytes of a partial line are not activity.</summary>
    internal sealed override bool ReportsOwnActivity => true;

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
            if (_discarded > 0)
            {
                Discard(piece.Length);
            }
            else if (!Append(piece))
            {
                int buffered = _length;
                _length = 0;
                Discard(buffered + piece.Length);
            }
            else if (end >= 0)
            {
                EmitLine();
            }

            if (end >= 0)
                _discarded = 0;

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

    /// <summary>Counts <paramref name="count"/> more bytes of an overlong line, reporting each limit's worth passed.</summary>
    private void Discard(int count)
    {
        long before = Reports(_discarded);
        _discarded += count;
        for (long n = Reports(_discarded) - before; n > 0 && Connection.IsOpen; n--)
            OnLineTooLong();
    }

    /// <summary>
    /// Reports owed for an overlong line of <paramref name="length"/> bytes: the first when it
    /// passes the buffer (the limit plus a possible <c>\r</c>), then one per limit's worth more.
    /// </summary>
    private long Reports(long length) =>
        length <= MaxLineLength + 1 ? 0 : 1 + ((length - MaxLineLength - 2) / MaxLineLength);

    private void EmitLine()
    {
        var bytes = _line.AsSpan(0, _length);
        if (!bytes.IsEmpty && bytes[^1] == (byte)'\r')
            bytes = bytes[..^1];
        _length = 0;
        if (Connection is IActivityTracker tracker)
            tracker.MarkActivity();
        if (bytes.Length > MaxLineLength)
        {
            OnLineTooLong();
            return;
        }

        OnLineReceived(Encoding.UTF8.GetString(bytes));
    }
}
