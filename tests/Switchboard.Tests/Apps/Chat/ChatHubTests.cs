using Switchboard.Apps.Chat;

namespace Switchboard.Tests.Apps.Chat;

public sealed class ChatHubTests
{
    [Fact]
    public void A_line_to_a_room_costs_the_same_allocations_for_ten_members_as_for_a_thousand()
    {
        long few = AllocatedBySaying(members: 10);
        long many = AllocatedBySaying(members: 1000);

        Assert.True(many - few < 64, $"10 members: {few} bytes allocated; 1,000 members: {many}");
    }

    [Fact]
    public void Every_member_gets_the_same_bytes()
    {
        var hub = new ChatHub(historySize: 0);
        var members = Enumerable.Range(0, 3).Select(i => Join(hub, $"m{i}")).ToList();
        var speaker = Join(hub, "speaker");
        members.ForEach(m => m.Lines.Clear());

        hub.Say(speaker, "same for all");

        Assert.All(members, m => Assert.Equal(["<speaker> same for all\n"], m.Lines));
        Assert.DoesNotContain(speaker.Lines, l => l.Contains("same for all", StringComparison.Ordinal));
    }

    private static long AllocatedBySaying(int members)
    {
        var hub = new ChatHub(historySize: 0);
        for (int i = 0; i < members; i++)
            hub.Nick(new CountingMember(), $"m{i}");
        var speaker = new CountingMember();
        hub.Nick(speaker, "speaker");
        hub.Say(speaker, "warm up");

        long before = GC.GetAllocatedBytesForCurrentThread();
        hub.Say(speaker, "hello, everyone in the lobby");
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static RecordingMember Join(ChatHub hub, string nick)
    {
        var member = new RecordingMember();
        hub.Nick(member, nick);
        return member;
    }

    private sealed class CountingMember() : ChatMember(ChatFormat.Lines)
    {
        public long Bytes { get; private set; }

        public override void Deliver(ChatEvent chatEvent) => Bytes += chatEvent.EncodedAs(Format).Length;
    }

    private sealed class RecordingMember() : ChatMember(ChatFormat.Lines)
    {
        public List<string> Lines { get; } = [];

        public override void Deliver(ChatEvent chatEvent) => Lines.Add(System.Text.Encoding.UTF8.GetString(chatEvent.EncodedAs(Format).Span));
    }
}
