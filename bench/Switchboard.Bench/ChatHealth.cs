using System.Globalization;

namespace Switchboard.Bench;

/// <summary>
/// Whether a chat server took the benchmark's talk as it was sent: a server that paces talk
/// (<c>serve chat --rate</c>) or refuses it answers with <c>! ...</c> lines, closes senders, or
/// delivers fewer lines than were said, and its figures then measure the throttle, not the server.
/// </summary>
public sealed record ChatHealth(
    long LinesSent, long Delivered, long Expected, int RefusalLines, string? FirstRefusal, int SendersClosedEarly, int Senders, int ListenersClosedEarly)
{
    /// <summary>Below this share of the expected deliveries, the server held lines back.</summary>
    public const double DeliveredEnough = 0.9;

    /// <summary>Deliveries as a share of the lines sent times the members who should get each.</summary>
    public double DeliveredShare => Expected == 0 ? 1 : (double)Delivered / Expected;

    /// <summary>Whether the server refused, cut off or held back the talk.</summary>
    public bool Throttled => RefusalLines > 0 || SendersClosedEarly > 0 || ListenersClosedEarly > 0 || DeliveredShare < DeliveredEnough;

    /// <summary>What was seen, in one line, with the likely cause; null when the server took the talk as sent.</summary>
    public string? Describe()
    {
        if (!Throttled)
            return null;
        var seen = new List<string>();
        if (RefusalLines > 0)
            seen.Add($"{RefusalLines.ToString("N0", CultureInfo.InvariantCulture)} '!' lines to members (first: '{FirstRefusal}')");
        if (SendersClosedEarly > 0)
            seen.Add($"{SendersClosedEarly} of {Senders} senders closed early");
        if (ListenersClosedEarly > 0)
            seen.Add($"{ListenersClosedEarly} listeners closed early");
        seen.Add($"{Delivered.ToString("N0", CultureInfo.InvariantCulture)} of {Expected.ToString("N0", CultureInfo.InvariantCulture)} deliveries ({(DeliveredShare * 100).ToString("0", CultureInfo.InvariantCulture)}%) for {LinesSent.ToString("N0", CultureInfo.InvariantCulture)} lines sent");
        return $"the server throttled or refused the talk: {string.Join(", ", seen)}; " +
               "the server paces talk (serve chat --rate, 5 lines/s by default): start it with --rate 100000 for a benchmark";
    }
}
