using Switchboard.Hosting;
using Switchboard.Engines;
using Switchboard.Tests.Support;

namespace Switchboard.Tests.Engines;

[Collection(NonParallel.Name)]
public sealed class DescriptorTests
{
    public static TheoryData<string> AllEngines => new(TestEngines.InProcess.Select(e => e.Name));

    public static TheoryData<string> ManyClientEngines => new("threading", "async", "select", "poll", "epoll", "uring");

    [Theory]
    [MemberData(nameof(AllEngines))]
    public async Task Connects_resets_and_half_closes_leak_no_descriptors(string engine)
    {
        await ExerciseAsync(engine, 1); // warm up: the runtime opens some descriptors once, on first use
        int before = OpenDescriptors();

        await ExerciseAsync(engine, 300);

        int after = OpenDescriptors();
        Assert.True(after - before <= 3, $"{before} descriptors open before, {after} after");
    }

    [Theory]
    [MemberData(nameof(ManyClientEngines))]
    public async Task Holds_2000_connections_at_once(string engine)
    {
        const int Clients = 2000;
        DescriptorLimit.RaiseToHardLimit();
        var probe = new ServerProbe();
        var server = new Server(EngineCatalog.Get(engine), new ServerOptions(), () => new ScriptedProtocol(probe));
        server.Start();
        var clients = new List<TestClient>();
        try
        {
            for (int batch = 0; batch < Clients / 100; batch++)
            {
                var connected = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => TestClient.ConnectAsync(server.LocalEndPoint)));
                clients.AddRange(connected);
                await Task.WhenAll(connected.Select(c => c.ReadLineAsync(Timeouts.Patient)));
            }

            Assert.Equal(Clients, server.ConnectionCount);
            var answers = await Task.WhenAll(clients.Select(async (c, i) =>
            {
                await c.SendAsync($"echo {i}\n");
                return await c.ReadLineAsync(Timeouts.Patient);
            }));
            Assert.Equal(Enumerable.Range(0, Clients).Select(i => $"{i}"), answers);
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
            await server.StopAsync().WaitAsync(Timeouts.Patient);
        }
    }

    private static async Task ExerciseAsync(string engine, int connections)
    {
        var probe = new ServerProbe();
        var server = new Server(EngineCatalog.Get(engine), new ServerOptions(), () => new ScriptedProtocol(probe));
        server.Start();
        for (int i = 0; i < connections; i++)
        {
            using var client = await TestClient.ConnectAsync(server.LocalEndPoint);
            switch (i % 3)
            {
                case 0: // connect and leave at once
                    break;
                case 1: // reset
                    client.Reset();
                    break;
                default: // half-close after a request, read the reply
                    await client.SendAsync("echo x\n");
                    client.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
                    await client.ReadToEndAsync();
                    break;
            }
        }

        await probe.Events.WaitUntilAsync(e => e.Count(x => x.StartsWith("disconnected", StringComparison.Ordinal)) == connections, Timeouts.Patient, "every disconnect");
        await server.StopAsync().WaitAsync(Timeouts.Patient);
    }

    private static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Length;
}
