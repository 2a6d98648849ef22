namespace Switchboard.Clients;

/// <summary>For scripts: the server's bytes, exactly as they arrive, and nothing else (no prefix, no spinner, no farewell).</summary>
internal sealed class PlainDisplay(Stream output) : IClientDisplay
{
    public void Received(ReadOnlySpan<byte> data)
    {
        output.Write(data);
        output.Flush();
    }

    public void Idle()
    {
    }

    public void Typing()
    {
    }

    public void Sent(string line)
    {
    }

    public void RemoteClosed()
    {
    }

    public void Failed(string reason)
    {
    }

    public void Cancelled()
    {
    }
}
