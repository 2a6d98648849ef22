using System.Text;

namespace Switchboard.Bench;

/// <summary>Reads lines from a connection for the line-based scenarios (chat, time).</summary>
internal sealed class LineReader(BenchConnection socket, int bufferSize = 64 * 1024)
{
    private readonly byte[] _buffer = new byte[bufferSize];
    private int _start;
    private int _end;

    /// <summary>The next line without its end, or null at end of stream.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken token)
    {
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                string line = Encoding.UTF8.GetString(_buffer, _start, newline - _start);
                _start = newline + 1;
                return line;
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            int n = await socket.ReceiveAsync(_buffer.AsMemory(_end), token).ConfigureAwait(false);
            if (n == 0)
                return null;
            _end += n;
        }
    }
}
