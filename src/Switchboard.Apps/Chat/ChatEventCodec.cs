using System.Globalization;
using System.Text;

namespace Switchboard.Apps.Chat;

/// <summary>
/// <see cref="ChatEvent"/>s as they travel between processes: from a forking server's parent to
/// its workers, and through a Redis backplane. UTF-8 text, fields separated by
/// <see cref="Separator"/> (U+001F, which <see cref="ChatText.Clean"/> removes from what users type
/// and names cannot hold), the free text last so that it needs no escaping:
/// <code>kind␟time␟count␟nick␟room␟other␟names␟sizes␟flags␟text</code>
/// <c>kind</c> the <see cref="ChatEventKind"/> number, <c>time</c> Unix milliseconds, <c>names</c>
/// and <c>sizes</c> comma-separated, <c>flags</c> letters (<c>h</c>: <see cref="ChatEvent.Replayed"/>, <c>n</c>: <see cref="ChatEvent.Notice"/>)
/// or empty. An event without the <c>flags</c> field (nine fields, as written before it existed,
/// and still kept in a Redis history written then) reads as having none. The first byte is a
/// digit, never NUL: the forking channel relies on that. The Redis hub's Lua scripts write events
/// in the same layout (<c>RedisScripts</c>): change both together.
/// </summary>
internal sealed class ChatEventCodec : ChatFormat
{
    public const char Separator = '\x1f';

    private const string ReplayedFlag = "h";
    private const string NoticeFlag = "n";

    public static readonly ChatEventCodec Instance = new();

    private ChatEventCodec()
    {
    }

    public static ChatEvent Decode(ReadOnlySpan<byte> bytes) => Decode(Encoding.UTF8.GetString(bytes));

    public static ChatEvent Decode(string text)
    {
        string[] f = text.Split(Separator, 10);
        if (f.Length is not (9 or 10))
            throw new FormatException($"a chat event has 10 fields (or 9, without flags), not {f.Length}");
        string flags = f.Length == 10 ? f[8] : "";
        return new ChatEvent((ChatEventKind)int.Parse(f[0], CultureInfo.InvariantCulture))
        {
            Time = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(f[1], CultureInfo.InvariantCulture)),
            Count = int.Parse(f[2], CultureInfo.InvariantCulture),
            Nick = f[3],
            Room = f[4],
            Other = f[5],
            Names = f[6].Length == 0 ? [] : f[6].Split(','),
            Sizes = f[7].Length == 0 ? [] : [.. f[7].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))],
            Replayed = flags.Contains(ReplayedFlag, StringComparison.Ordinal),
            Notice = flags.Contains(NoticeFlag, StringComparison.Ordinal),
            Text = f[^1],
        };
    }

    public static string ToText(ChatEvent e)
    {
        var s = new StringBuilder(64 + e.Text.Length);
        s.Append(((int)e.Kind).ToString(CultureInfo.InvariantCulture)).Append(Separator)
            .Append(e.Time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)).Append(Separator)
            .Append(e.Count.ToString(CultureInfo.InvariantCulture)).Append(Separator)
            .Append(e.Nick).Append(Separator)
            .Append(e.Room).Append(Separator)
            .Append(e.Other).Append(Separator)
            .AppendJoin(',', e.Names).Append(Separator)
            .AppendJoin(',', e.Sizes.Select(n => n.ToString(CultureInfo.InvariantCulture))).Append(Separator)
            .Append(e.Replayed ? ReplayedFlag : "").Append(e.Notice ? NoticeFlag : "").Append(Separator)
            .Append(e.Text);
        return s.ToString();
    }

    protected internal override byte[] Encode(ChatEvent chatEvent) => Encoding.UTF8.GetBytes(ToText(chatEvent));
}
