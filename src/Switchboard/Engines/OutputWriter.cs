using System.Diagnostics;

namespace Switchboard.Engines;

/// <summary>
/// Who is writing a connection's queued output, in one byte. The <c>Send</c> that finds no writer
/// claims one and starts it; the writer borrows one chunk at a time, returns it with the count
/// written, and stops (gives up the claim) when it finds nothing left. Discarding output at close
/// must not hand a borrowed chunk's segments back to the pool while a send may still read them,
/// so it is left to the writer when it returns the chunk. Not thread-safe: the owning connection
/// moves it under its state lock, together with the buffer.
/// Invariants: a borrowed chunk implies a claim; at most one chunk is out at a time; once
/// discarded, no writer is claimed anew.
/// </summary>
internal struct OutputWriter
{
    private Flags _flags;

    [Flags]
    private enum Flags : byte
    {
        None = 0,
        Claimed = 1,
        Lent = 2,
        Discarded = 4,
    }

    /// <summary>A chunk is out with the writer: its segments must stay where they are.</summary>
    public readonly bool IsLent => (_flags & Flags.Lent) != 0;

    /// <summary>Output was discarded (the connection closed, or a write failed): nothing more is written.</summary>
    public readonly bool IsDiscarded => (_flags & Flags.Discarded) != 0;

    /// <summary>Claims the writer; false if one is running already or output was discarded.</summary>
    public bool TryClaim()
    {
        if ((_flags & (Flags.Claimed | Flags.Discarded)) != 0)
            return false;
        _flags |= Flags.Claimed;
        return true;
    }

    /// <summary>
    /// The writer takes a chunk. It normally holds the claim; a transport may also flush
    /// unclaimed (a readiness loop told of an error), which claims it until the writer stops.
    /// </summary>
    public void Lend()
    {
        Debug.Assert(!IsLent, "one chunk at a time");
        Debug.Assert(!IsDiscarded, "nothing is lent from discarded output");
        _flags |= Flags.Claimed | Flags.Lent;
    }

    /// <summary>The writer is done with its chunk.</summary>
    public void Return()
    {
        Debug.Assert(IsLent, "returned a chunk that was not lent");
        _flags &= ~Flags.Lent;
    }

    /// <summary>The writer found nothing (more) to write and stops; the next <c>Send</c> claims a new one.</summary>
    public void Stop()
    {
        Debug.Assert(!IsLent, "a writer stops only with its chunk returned");
        _flags &= ~Flags.Claimed;
    }

    /// <summary>Marks output discarded; true if the buffer may be cleared now (no chunk is out).</summary>
    public bool Discard()
    {
        _flags |= Flags.Discarded;
        return !IsLent;
    }
}
