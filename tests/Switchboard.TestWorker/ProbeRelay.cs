using System.Globalization;
using System.Text;
using Switchboard.Hosting;
using Switchboard.Protocols;

namespace Switchboard.Tests.Support;

/// <summary>
/// A forking server's worker's <see cref="IServerProbe"/>: each report is one text message over
/// the channel to the parent, where a <see cref="ProbeRelayHost"/> hands it to the test's probe.
/// Reports from one worker arrive in the order made.
/// </summary>
public sealed class ProbeRelay(ParentChannel parent) : IServerProbe
{
    public void Connected(long id) => Send($"connected {id}");

    public void Disconnected(long id, DisconnectReason reason) => Send($"disconnected {id} {reason}");

    public void Overlapped() => Send("overlapped");

    public void TimerRanAfterDisconnect() => Send("late-timer");

    public void SawPending(long pending) => Send($"pending {pending}");

    public void Received(int bytes) => Send($"received {bytes}");

    public void Filled(long id, long pending) => Send($"filled {id} {pending}");

    private void Send(string report) => parent.Send(Encoding.UTF8.GetBytes(report));
}

/// <summary>In the test process, the parent's end of <see cref="ProbeRelay"/>: applies every worker's reports to one probe.</summary>
public sealed class ProbeRelayHost(IServerProbe probe) : IWorkerMessageHandler
{
    public void OnMessage(WorkerChannel worker, ReadOnlySpan<byte> message)
    {
        string[] words = Encoding.UTF8.GetString(message).Split(' ');
        switch (words[0])
        {
            case "connected":
                probe.Connected(long.Parse(words[1], CultureInfo.InvariantCulture));
                break;
            case "disconnected":
                probe.Disconnected(long.Parse(words[1], CultureInfo.InvariantCulture), Enum.Parse<DisconnectReason>(words[2]));
                break;
            case "overlapped":
                probe.Overlapped();
                break;
            case "late-timer":
                probe.TimerRanAfterDisconnect();
                break;
            case "pending":
                probe.SawPending(long.Parse(words[1], CultureInfo.InvariantCulture));
                break;
            case "filled":
                probe.Filled(long.Parse(words[1], CultureInfo.InvariantCulture), long.Parse(words[2], CultureInfo.InvariantCulture));
                break;
            case "received":
                probe.Received(int.Parse(words[1], CultureInfo.InvariantCulture));
                break;
            default:
                throw new InvalidDataException($"unknown probe report '{words[0]}'");
        }
    }

    public void OnWorkerExited(WorkerChannel worker)
    {
    }
}
