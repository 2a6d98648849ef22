using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Switchboard.Diagnostics;

namespace Switchboard.Apps.Chat;

/// <summary>
/// The chat's instruments, on the library's meter (<see cref="SwitchboardMetrics.MeterName"/>):
/// counted where the hub and the pacing already do the work, once per line said (a room's
/// deliveries are added as one number), never once per member in a loop.
/// </summary>
internal static class ChatMetrics
{
    private static readonly Meter Meter = new(SwitchboardMetrics.MeterName);

    // Hubs of this process, for the member and room counts; weakly held (tests make many).
    private static readonly ConditionalWeakTable<IChatCensus, object?> Hubs = new();

    /// <summary>Lines said to a room (talk, notices and /me) or privately, by kind (switchboard.chat.kind).</summary>
    private static readonly Counter<long> Said = Meter.CreateCounter<long>(
        "switchboard.chat.lines", "{line}", "Lines said: to a room (switchboard.chat.kind: talk, action) or to one member (private).");

    private static readonly Counter<long> Deliveries = Meter.CreateCounter<long>(
        "switchboard.chat.deliveries", "{delivery}", "Room events (talk, actions, joins, parts, quits, renames) handed to members: one per member who gets one.");

    private static readonly Counter<long> Paced = Meter.CreateCounter<long>(
        "switchboard.chat.paced", "{line}", "Lines held back by flood control (switchboard.chat.pacing: delayed, then handled in their turn; refused, with the queue that overflowed, and the member dropped).");

    /// <summary>Redis hub: from an event's time on the node that said it to its arrival here.</summary>
    public static readonly Histogram<double> BackplaneLag = Meter.CreateHistogram<double>(
        "switchboard.chat.backplane.lag", "s", "Redis hub: how long after it was said (by the speaking node's clock) a room event arrived at this node.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5] });

    private static readonly ObservableUpDownCounter<long> Members = Meter.CreateObservableUpDownCounter(
        "switchboard.chat.members", () => Hubs.Sum(pair => (long)pair.Key.MemberCount), "{member}", "Members with a name: of this process's hub (forking: the parent's, which holds them all); with the Redis hub, this node's.");

    private static readonly ObservableUpDownCounter<long> Rooms = Meter.CreateObservableUpDownCounter(
        "switchboard.chat.rooms", () => Hubs.Sum(pair => (long)pair.Key.RoomCount), "{room}", "Rooms that exist in this process's hub (the lobby always does); with the Redis hub, the rooms this node's members are in.");

    private static readonly KeyValuePair<string, object?> Talk = new("switchboard.chat.kind", "talk");
    private static readonly KeyValuePair<string, object?> Action = new("switchboard.chat.kind", "action");
    private static readonly KeyValuePair<string, object?> Private = new("switchboard.chat.kind", "private");
    private static readonly KeyValuePair<string, object?> Delayed = new("switchboard.chat.pacing", "delayed");
    private static readonly KeyValuePair<string, object?> Refused = new("switchboard.chat.pacing", "refused");

    public static void Track(IChatCensus hub) => Hubs.TryAdd(hub, null);

    public static void OnSaid(ChatEventKind kind) => Said.Add(1, kind == ChatEventKind.Action ? Action : Talk);

    public static void OnWhispered() => Said.Add(1, Private);

    public static void OnDelivered(int members)
    {
        if (members > 0)
            Deliveries.Add(members);
    }

    public static void OnDelayed() => Paced.Add(1, Delayed);

    public static void OnRefused(int lines) => Paced.Add(lines, Refused);
}

/// <summary>A hub's members and rooms now, for <see cref="ChatMetrics"/>.</summary>
internal interface IChatCensus
{
    int MemberCount { get; }

    int RoomCount { get; }
}
