namespace Switchboard.Apps.Chat;

/// <summary>Flood control: <c>rate</c> tokens a second, at most <c>burst</c> saved up; each line takes one.</summary>
internal sealed class TokenBucket(double rate, int burst, TimeProvider clock)
{
    private double _rate = rate;
    private int _burst = burst;
    private double _tokens = burst;
    private long _last = clock.GetTimestamp();

    public bool TryTake()
    {
        Refill();
        if (_tokens < 1)
            return false;
        _tokens -= 1;
        return true;
    }

    /// <summary>How long until a token is there to take (zero if one is now).</summary>
    public TimeSpan UntilNext()
    {
        Refill();
        double seconds = (1 - _tokens) / _rate;
        return _tokens >= 1 || !double.IsFinite(seconds) ? TimeSpan.Zero : TimeSpan.FromSeconds(seconds);
    }

    /// <summary>A new rate and burst (a reload): the time so far is paid at the old rate, the rest at the new; tokens saved are cut to the new burst.</summary>
    public void Retune(double rate, int burst)
    {
        Refill();
        _rate = rate;
        _burst = burst;
        _tokens = Math.Min(_tokens, burst);
    }

    private void Refill()
    {
        long now = clock.GetTimestamp();
        _tokens = Math.Min(_burst, _tokens + (clock.GetElapsedTime(_last, now).TotalSeconds * _rate));
        _last = now;
    }
}
