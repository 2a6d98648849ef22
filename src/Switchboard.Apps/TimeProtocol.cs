using Switchboard.Protocols;

namespace Switchboard.Apps;

/// <summary>Sends the time on connect and then at every tick of its <see cref="TimeSource"/>.</summary>
internal sealed class TimeProtocol(TimeSource app) : Protocol
{
    public override void OnConnected()
    {
        SendTime();
        Connection.Every(app.Interval, SendTime);
    }

    private void SendTime() => Connection.Send(app.LineNow());
}
