namespace Switchboard.Clients;

/// <summary>What a <see cref="ConsoleClient"/> shows of its session, and how.</summary>
internal interface IClientDisplay
{
    /// <summary>Bytes arrived from the server.</summary>
    void Received(ReadOnlySpan<byte> data);

    /// <summary>A wait passed with nothing to do.</summary>
    void Idle();

    /// <summary>The line being typed changed (character mode only).</summary>
    void Typing();

    /// <summary>A typed line was completed and sent (character mode only).</summary>
    void Sent(string line);

    void RemoteClosed();

    void Failed(string reason);

    void Cancelled();
}
