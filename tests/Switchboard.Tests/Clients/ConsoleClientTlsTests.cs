using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Switchboard.Clients;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Clients;

/// <summary>
/// <see cref="ConsoleClient"/> over TLS in each wait mode, against an <see cref="SslStream"/>
/// server in the test that can send several records in one TCP segment: the client's TLS layer then
/// holds decrypted text the socket no longer shows, which a readiness wait alone would never see.
/// </summary>
public sealed class ConsoleClientTlsTests
{
    [Theory]
    [InlineData(ClientWaitMode.Poll)]
    [InlineData(ClientWaitMode.Select)]
    [InlineData(ClientWaitMode.Async)]
    public async Task Shows_every_record_of_one_segment_and_keeps_spinning_between(ClientWaitMode mode)
    {
        using var certificate = TestCertificate.Create();
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(listener.LocalEndPoint!);
        using var accepted = await listener.AcceptAsync();
        var cork = new CorkedStream(new NetworkStream(accepted, ownsSocket: false));
        using var server = new SslStream(cork);
        var serverHandshake = server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate.Certificate });
        using var tls = await TlsClientConnection.AuthenticateAsync(
            socket, new TlsClientOptions { TargetHost = "localhost", TrustedRoots = [certificate.Certificate] }, CancellationToken.None).WaitAsync(Timeouts.Quick);
        await serverHandshake.WaitAsync(Timeouts.Quick);
        using var output = new SharedOutput();
        var client = new ConsoleClient(socket, mode, output.Writer, spinner: true, readStdin: false) { Tls = tls };

        var run = Task.Run(() => client.RunAsync(CancellationToken.None)); // poll and select waits are synchronous
        await WaitForAsync(output, t => t.Contains("..|.......", StringComparison.Ordinal)); // spinning while nothing comes
        // Two records of 8,200 bytes in one segment: more plain text than the client reads at once
        // (16 KiB), in fewer bytes than it receives at once, so the end of the second is held
        // decrypted in its TLS layer while the socket has nothing more to say.
        string first = new string('a', 8199) + "\n", second = new string('b', 8199) + "\n";
        cork.Corked = true;
        await server.WriteAsync(System.Text.Encoding.ASCII.GetBytes(first));
        await server.WriteAsync(System.Text.Encoding.ASCII.GetBytes(second));
        await cork.UncorkAsync();
        string last = $"Received: {second}";
        await WaitForAsync(output, t => t.Contains(last, StringComparison.Ordinal));
        await WaitForAsync(output, t => t[(t.IndexOf(last, StringComparison.Ordinal) + last.Length)..].Contains('|')); // spinning again after
        await server.ShutdownAsync();
        accepted.Shutdown(SocketShutdown.Both);

        Assert.Equal(ClientOutcome.RemoteClosed, await run.WaitAsync(Timeouts.Patient));
        string text = output.Text;
        int shownFirst = text.IndexOf($"Received: {first}", StringComparison.Ordinal);
        Assert.True(shownFirst >= 0 && text.IndexOf($"Received: {second}", StringComparison.Ordinal) > shownFirst, "both lines, whole and in order");
        Assert.EndsWith("Remote end closed connection; exiting.\n", text, StringComparison.Ordinal);
    }

    private static async Task WaitForAsync(SharedOutput output, Func<string, bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeouts.Quick;
        while (!condition(output.Text))
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out; output: {output.Text}");
            await Task.Delay(10);
        }
    }

    /// <summary>The client's output, written on its thread and read on the test's.</summary>
    private sealed class SharedOutput : IDisposable
    {
        private readonly StringWriter _text = new();

        public SharedOutput() => Writer = TextWriter.Synchronized(_text);

        /// <summary>Locks itself around each write (MethodImplOptions.Synchronized).</summary>
        public TextWriter Writer { get; }

        public string Text
        {
            get
            {
                lock (Writer)
                    return _text.ToString();
            }
        }

        public void Dispose() => _text.Dispose();
    }

    /// <summary>Passes writes through, or, while corked, holds them to send all at once.</summary>
    private sealed class CorkedStream(Stream inner) : Stream
    {
        private readonly MemoryStream _held = new();

        public bool Corked { get; set; }

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public async Task UncorkAsync()
        {
            Corked = false;
            await inner.WriteAsync(_held.ToArray());
            _held.SetLength(0);
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!Corked)
                return inner.WriteAsync(buffer, cancellationToken);
            _held.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Corked ? Task.CompletedTask : inner.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _held.Dispose();
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
