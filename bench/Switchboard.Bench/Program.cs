using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

// A small load generator for comparing engines until `switchboard bench` exists:
//   connect-rate HOST:PORT CLIENTS SECONDS   each client loops: connect, one echo round trip, close
//   echo         HOST:PORT CLIENTS SECONDS   each client keeps one 32-byte message in flight (ping-pong)
// Prints one line: the scenario, clients, operations per second, and this process's CPU seconds.
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: Switchboard.Bench connect-rate|echo HOST:PORT CLIENTS SECONDS");
    return 2;
}

var target = IPEndPoint.Parse(args[1]);
int clients = int.Parse(args[2]);
var duration = TimeSpan.FromSeconds(double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
using var stop = new CancellationTokenSource(duration);
var clock = Stopwatch.StartNew();
var cpu = Process.GetCurrentProcess().TotalProcessorTime;

Func<CancellationToken, Task<long>> client = args[0] switch
{
    "connect-rate" => ConnectLoopAsync,
    "echo" => EchoLoopAsync,
    _ => throw new ArgumentException($"unknown scenario {args[0]}"),
};
long[] counts = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(() => client(stop.Token))));
double seconds = clock.Elapsed.TotalSeconds;
double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
Console.WriteLine($"{args[0]} clients={clients} ops/s={counts.Sum() / seconds:F0} loadgen-cpu-s={cpuSeconds:F1} wall-s={seconds:F1}");
return 0;

async Task<long> ConnectLoopAsync(CancellationToken token)
{
    long done = 0;
    var buffer = new byte[2];
    while (!token.IsCancellationRequested)
    {
        using var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(target, token);
            await socket.SendAsync("x\n"u8.ToArray(), SocketFlags.None, token);
            for (int got = 0; got < 2;)
                got += await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, token);
            done++;
        }
        catch (OperationCanceledException)
        {
            break;
        }
    }

    return done;
}

async Task<long> EchoLoopAsync(CancellationToken token)
{
    long done = 0;
    using var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    await socket.ConnectAsync(target, CancellationToken.None);
    var message = new byte[32];
    message[^1] = (byte)'\n';
    var buffer = new byte[32];
    try
    {
        while (!token.IsCancellationRequested)
        {
            await socket.SendAsync(message, SocketFlags.None, token);
            for (int got = 0; got < 32;)
                got += await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, token);
            done++;
        }
    }
    catch (OperationCanceledException)
    {
    }

    return done;
}
