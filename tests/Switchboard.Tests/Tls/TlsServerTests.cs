using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Switchboard.Engines;
using Switchboard.Protocols;
using Switchboard.Tests.Support;
using Switchboard.Tls;

namespace Switchboard.Tests.Tls;

/// <summary>
/// TLS on every engine that serves in the test process (forking: Cli/ServeTlsTests, through the
/// real program): a real <see cref="SslStream"/> client talks to real servers over loopback, the
/// app's protocol sees only plaintext, and what goes wrong is one line and the server serves on.
/// </summary>
public sealed class TlsServerTests : IAsyncLifetime
{
    private readonly List<Server> _servers = [];
    private readonly TestCertificate _certificate = TestCertificate.Create();
    private readonly ServerProbe _probe = new();

    public static TheoryData<string> Engines => [.. TestEngines.InProcess.Select(e => e.Name)];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
            await server.StopAsync().WaitAsync(Timeouts.Patient);
        _certificate.Dispose();
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task The_protocol_sees_plaintext_both_ways_in_small_and_large_pieces(string engine)
    {
        var server = Start(engine, () => new Echo(_probe));
        await using var client = await TlsTestClient.ConnectAsync(server.LocalEndPoint, _certificate);

        await client.Stream.WriteAsync("hello\n"u8.ToArray());
        Assert.Equal("hello\n", Encoding.ASCII.GetString(await client.ReadExactlyAsync(6)));

        // 300 KiB: many records each way, more than one read's worth at once on every engine.
        var big = new byte[300 * 1024];
        new Random(7).NextBytes(big);
        var echoed = client.ReadExactlyAsync(big.Length);
        await client.Stream.WriteAsync(big);
        Assert.Equal(big, await echoed);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_send_from_another_thread_is_encrypted_too(string engine)
    {
        var server = Start(engine, () => new GreetFromPool());
        await using var client = await TlsTestClient.ConnectAsync(server.LocalEndPoint, _certificate);
        string expected = string.Concat(Enumerable.Range(0, 200).Select(i => $"line {i}\n"));
        Assert.Equal(expected, Encoding.ASCII.GetString(await client.ReadExactlyAsync(expected.Length)));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_plain_text_client_is_told_the_port_speaks_TLS_and_the_server_serves_on(string engine)
    {
        var server = Start(engine, () => new Echo(_probe));
        using (var plain = await TestClient.ConnectAsync(server.LocalEndPoint))
        {
            await plain.SendAsync("hello\n");
            Assert.Equal("error: this port speaks TLS; connect with TLS (switchboard connect --tls, openssl s_client)", await plain.ReadLineAsync());
            Assert.True(await plain.WaitForCloseAsync());
        }

        await using var client = await TlsTestClient.ConnectAsync(server.LocalEndPoint, _certificate);
        await client.Stream.WriteAsync("still here\n"u8.ToArray());
        Assert.Equal("still here\n", Encoding.ASCII.GetString(await client.ReadExactlyAsync(11)));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_close_by_the_app_ends_the_stream_after_its_last_line(string engine)
    {
        var server = Start(engine, () => new SayAndClose());
        await using var client = await TlsTestClient.ConnectAsync(server.LocalEndPoint, _certificate);
        var buffer = new byte[64];
        var said = new MemoryStream();
        int n;
        while ((n = await client.Stream.ReadAsync(buffer).AsTask().WaitAsync(Timeouts.Quick)) > 0)
            said.Write(buffer, 0, n); // (whether close_notify came first, .NET cannot tell: Cli/ServeTlsTests asks openssl)
        Assert.Equal("bye\n", Encoding.ASCII.GetString(said.ToArray()));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_failed_handshake_never_reaches_the_app_and_the_server_serves_on(string engine)
    {
        var server = Start(engine, () => new Echo(_probe));

        // A handshake record whose ClientHello is garbage: the server's handshake fails.
        using (var broken = await TestClient.ConnectAsync(server.LocalEndPoint))
        {
            await broken.SendAsync(new byte[] { 22, 3, 1, 0, 6, 1, 0, 0, 2, 0xff, 0xff });
            Assert.True(await broken.WaitForCloseAsync());
        }

        await using var client = await TlsTestClient.ConnectAsync(server.LocalEndPoint, _certificate);
        await client.Stream.WriteAsync("ok\n"u8.ToArray());
        Assert.Equal("ok\n", Encoding.ASCII.GetString(await client.ReadExactlyAsync(3)));
        Assert.Equal(1, Echo.Connected(_probe));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_peer_that_says_close_notify_and_keeps_TCP_open_is_answered_and_closed(string engine)
    {
        var server = Start(engine, () => new Echo(_probe));
        await using var client = await TlsTestClient.ConnectAsync(server.LocalEndPoint, _certificate);
        await client.Stream.WriteAsync("hi\n"u8.ToArray());
        await client.ReadExactlyAsync(3);

        await client.Stream.ShutdownAsync(); // close_notify; the socket stays open both ways
        var buffer = new byte[16];
        Assert.Equal(0, await client.Stream.ReadAsync(buffer).AsTask().WaitAsync(Timeouts.Quick)); // the server's close_notify, or its FIN
        await _probe.Events.WaitUntilAsync(events => events.Any(e => e.StartsWith("disconnected", StringComparison.Ordinal)), Timeouts.Quick, "the app's OnDisconnected");
        Assert.Contains(_probe.Events.Snapshot(), e => e.EndsWith(" RemoteClosed", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task An_app_that_closes_gets_no_more_of_what_arrived_with_the_closing_line_and_OnDisconnected_once(string engine)
    {
        var closer = new CloseOnFirstReceive(_probe);
        var server = Start(engine, () => closer);
        await using var client = await TlsTestClient.ConnectAsync(server.LocalEndPoint, _certificate);

        // 64 KiB in one write: sixteen records and more, most of them decrypted in one push.
        await client.Stream.WriteAsync(new byte[64 * 1024]);
        await _probe.Events.WaitUntilAsync(events => events.Any(e => e.StartsWith("disconnected", StringComparison.Ordinal)), Timeouts.Quick, "the app's OnDisconnected");
        Assert.Equal(1, closer.Received);
        Assert.Single(_probe.Events.Snapshot(), e => e.StartsWith("disconnected", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_client_that_never_reads_is_dropped_as_too_slow_from_inside_a_send_and_the_server_serves_on(string engine)
    {
        // Sends from a pool thread until one is refused: the engine ends the connection from
        // inside that send, while the SslStream is in its write.
        int made = 0;
        var server = Start(
            engine,
            () => Interlocked.Increment(ref made) == 1 ? new FloodFromPool(_probe) : new Echo(_probe),
            new ServerOptions { MaxPendingBytes = 64 * 1024, MaxPendingSoftBytes = 0 });
        await using var reader = await TlsTestClient.ConnectAsync(server.LocalEndPoint, _certificate); // never reads
        await _probe.Events.WaitUntilAsync(events => events.Any(e => e.EndsWith(" SlowConsumer", StringComparison.Ordinal)), Timeouts.Patient, "the slow consumer's end");

        await using var client = await TlsTestClient.ConnectAsync(server.LocalEndPoint, _certificate);
        await client.Stream.WriteAsync("next\n"u8.ToArray());
        Assert.Equal("next\n", Encoding.ASCII.GetString(await client.ReadExactlyAsync(5)));
    }

    [Fact]
    public async Task A_client_that_never_finishes_its_handshake_is_closed_at_the_deadline()
    {
        var server = Start("epoll", () => new Echo(_probe));
        using var silent = await TestClient.ConnectAsync(server.LocalEndPoint);
        await silent.SendAsync(new byte[] { 22, 3, 1 }); // the start of a TLS record, never finished
        Assert.True(await silent.WaitForCloseAsync(TlsProtocol.HandshakeTimeout + Timeouts.Quick));
        Assert.Equal(0, Echo.Connected(_probe));
    }

    [Fact]
    public async Task A_replaced_certificate_is_presented_to_the_next_handshake_while_open_connections_go_on()
    {
        var server = Start("async", () => new Echo(_probe));
        await using var before = await TlsTestClient.ConnectAsync(server.LocalEndPoint, _certificate);

        using var renewed = TestCertificate.Create();
        server.Options.Tls!.ReplaceWith(ServerCertificate.Load(renewed.CertPath, renewed.KeyPath));
        await using var after = await TlsTestClient.ConnectAsync(server.LocalEndPoint, renewed);
        Assert.Equal(renewed.Certificate.Thumbprint, after.ServerThumbprint);

        await before.Stream.WriteAsync("old\n"u8.ToArray());
        Assert.Equal("old\n", Encoding.ASCII.GetString(await before.ReadExactlyAsync(4)));
    }

    private Server Start(string engine, Func<Protocol> protocol, ServerOptions? options = null)
    {
        options = (options ?? new ServerOptions()) with { Tls = ServerCertificate.Load(_certificate.CertPath, _certificate.KeyPath) };
        var server = new Server(EngineCatalog.Get(engine), options, protocol);
        _servers.Add(server);
        server.Start();
        return server;
    }

    /// <summary>Echoes every byte; counts connections in the probe.</summary>
    private sealed class Echo(ServerProbe probe) : Protocol
    {
        public static int Connected(ServerProbe probe) => probe.Events.Snapshot().Count(e => e.StartsWith("connected", StringComparison.Ordinal));

        public override void OnConnected() => probe.Connected(Connection.Id);

        public override void OnReceived(ReadOnlySpan<byte> data) => Connection.Send(data);

        public override void OnDisconnected(DisconnectReason reason) => probe.Disconnected(Connection.Id, reason);
    }

    /// <summary>Closes on its first bytes; counts how often it was given bytes.</summary>
    private sealed class CloseOnFirstReceive(ServerProbe probe) : Protocol
    {
        private int _received;

        public int Received => Volatile.Read(ref _received);

        public override void OnConnected() => probe.Connected(Connection.Id);

        public override void OnReceived(ReadOnlySpan<byte> data)
        {
            Interlocked.Increment(ref _received);
            Connection.Close();
        }

        public override void OnDisconnected(DisconnectReason reason) => probe.Disconnected(Connection.Id, reason);
    }

    /// <summary>Sends 1 KiB at a time from a pool thread until a send is refused.</summary>
    private sealed class FloodFromPool(ServerProbe probe) : Protocol
    {
        public override void OnConnected()
        {
            probe.Connected(Connection.Id);
            var chunk = new byte[1024];
            ThreadPool.QueueUserWorkItem(_ =>
            {
                while (Connection.Send(chunk))
                {
                }
            });
        }

        public override void OnDisconnected(DisconnectReason reason) => probe.Disconnected(Connection.Id, reason);
    }

    /// <summary>Sends 200 lines from a pool thread, one Send each.</summary>
    private sealed class GreetFromPool : Protocol
    {
        public override void OnConnected() => ThreadPool.QueueUserWorkItem(_ =>
        {
            for (int i = 0; i < 200; i++)
                Connection.Send(Encoding.ASCII.GetBytes($"line {i}\n"));
        });
    }

    private sealed class SayAndClose : Protocol
    {
        public override void OnConnected()
        {
            Connection.Send("bye\n"u8);
            Connection.Close();
        }
    }
}
