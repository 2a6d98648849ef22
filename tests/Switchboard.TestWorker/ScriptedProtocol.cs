using System.Globalization;
using Switchboard.Protocols;

namespace Switchboard.Tests.Support;

/// <summary>
/// A line protocol driven by the client, for the conformance suite: greets with "hello ID", then
/// obeys one command per line and reports what happens to a <see cref="ServerProbe"/>.
/// </summary>
public sealed class ScriptedProtocol(IServerProbe probe) : LineProtocol
{
    public const int FloodChunk = 16 * 1024;
    private static readonly byte[] Filler = Enumerable.Range(0, FloodChunk).Select(i => (byte)('a' + i % 26)).ToArray();

    private volatile bool _disconnected;

    public override void OnConnected()
    {
        probe.Connected(Connection.Id);
        SendLine($"hello {Connection.Id}");
    }

    public override void OnShutdown() => SendLine("bye");

    public override void OnDisconnected(DisconnectReason reason)
    {
        _disconnected = true;
        probe.Disconnected(Connection.Id, reason);
    }

    protected override void OnLineReceived(string line)
    {
        string[] words = line.Split(' ', 2);
        string argument = words.Length > 1 ? words[1] : "";
        switch (words[0])
        {
            case "echo":
                SendLine(argument);
                break;
            case "close":
                Connection.Close();
                break;
            case "abort":
                Connection.Abort();
                break;
            case "throw":
                throw new InvalidOperationException("the test asked for it");
            case "send-close":
                SendBytes(int.Parse(argument, CultureInfo.InvariantCulture));
                Connection.Close();
                break;
            case "timers":
                // Each line says when its timer was due (from just before it was scheduled), so the
                // order can be checked against the due times themselves: scheduling the five takes
                // time too, more so in a process still compiling its code. A first timer, cancelled,
                // takes the cost of the first call out of the way.
                Connection.Schedule(TimeSpan.FromDays(1), static () => { }).Dispose();
                foreach (int ms in new[] { 50, 10, 40, 20, 30 })
                {
                    long due = System.Diagnostics.Stopwatch.GetTimestamp() + (ms * System.Diagnostics.Stopwatch.Frequency / 1000);
                    Connection.Schedule(TimeSpan.FromMilliseconds(ms), () => SendLine($"t{ms} {due}"));
                }

                break;
            case "timer-thread":
                // The thread that runs this connection's timers (in which process: forking's workers
                // are processes), which stands for their queue.
                Connection.Schedule(TimeSpan.Zero, () => SendLine($"timer-thread {Environment.ProcessId}/{Environment.CurrentManagedThreadId}"));
                break;
            case "tick":
                Connection.Every(TimeSpan.FromMilliseconds(int.Parse(argument, CultureInfo.InvariantCulture)), () =>
                {
                    if (_disconnected)
                        probe.TimerRanAfterDisconnect();
                    SendLine("tick");
                });
                break;
            case "thread-send":
                int count = int.Parse(argument, CultureInfo.InvariantCulture);
                var connection = Connection;
                _ = Task.Run(() =>
                {
                    for (int i = 0; i < count; i++)
                        connection.Send(System.Text.Encoding.ASCII.GetBytes($"{i}\n"));
                });
                break;
            case "flood":
                Connection.Every(TimeSpan.FromMilliseconds(1), () =>
                {
                    Connection.Send(Filler);
                    probe.SawPending(Connection.PendingBytes);
                });
                break;
            case "flood-to":
                // Keeps N bytes waiting in the server's queue for as long as the connection lasts,
                // reporting the first time they are there. Topping up (rather than stopping once
                // there) keeps the figure true whenever the writer sends: the engine may still
                // hand the kernel part of the queue after it was first reached.
                long target = long.Parse(argument, CultureInfo.InvariantCulture);
                bool filled = false;
                Connection.Every(TimeSpan.FromMilliseconds(1), () =>
                {
                    long pending = Connection.PendingBytes;
                    if (pending < target)
                    {
                        Connection.Send(Filler);
                        return;
                    }

                    if (!filled)
                    {
                        filled = true;
                        probe.Filled(Connection.Id, pending);
                    }
                });
                break;
            default:
                SendLine($"unknown command: {line}");
                break;
        }
    }

    private void SendBytes(int count)
    {
        for (int sent = 0; sent < count; sent += FloodChunk)
            Connection.Send(Filler.AsSpan(0, Math.Min(FloodChunk, count - sent)));
    }

    public static byte[] Pattern(int count) =>
        Enumerable.Range(0, count).Select(i => Filler[i % FloodChunk]).ToArray();
}
