namespace Switchboard.Apps.Chat;

/// <summary>A room: its members (an immutable array, replaced on change, so fan-out iterates without a lock) and its recent lines.</summary>
internal sealed class ChatRoom(string name, int historySize)
{
    private readonly Queue<ChatEvent> _history = new();
    private int _historySize = historySize;

    public string Name { get; } = name;

    public ChatMember[] Members { get; private set; } = [];

    public IReadOnlyCollection<ChatEvent> History => _history;

    /// <summary>The topic (empty: none), who set it and when; kept while the room exists.</summary>
    public (string Text, string SetBy, DateTimeOffset At) Topic { get; set; } = ("", "", default);

    public void Add(ChatMember member) => Members = [.. Members, member];

    public void Remove(ChatMember member) => Members = Array.FindAll(Members, m => !ReferenceEquals(m, member));

    /// <summary>Lines kept (a reload may change it): a smaller number forgets the oldest at once.</summary>
    public int HistorySize
    {
        get => _historySize;
        set
        {
            _historySize = value;
            while (_history.Count > value)
                _history.Dequeue();
        }
    }

    public void Remember(ChatEvent line)
    {
        if (_historySize == 0)
            return;
        if (_history.Count >= _historySize)
            _history.Dequeue();
        _history.Enqueue(line);
    }
}
