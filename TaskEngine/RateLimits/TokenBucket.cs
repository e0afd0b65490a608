namespace Onboarding.TaskEngine.RateLimits;

/// <summary>A token bucket (capacity = the rate's token count) driven by a <see cref="TimeProvider"/>.</summary>
internal sealed class TokenBucket(RateLimit limit, TimeProvider timeProvider)
{
    private readonly Lock _lock = new();
    private readonly double _capacity = Math.Max(1, limit.Tokens);
    private readonly double _perTick = limit.PerSecond / timeProvider.TimestampFrequency;
    private double _tokens = Math.Max(1, limit.Tokens);
    private long _last = timeProvider.GetTimestamp();

    public RateLimit Limit => limit;

    /// <summary>Takes a token if one is there; otherwise returns how long until the next one.</summary>
    public bool TryTake(out TimeSpan wait)
    {
        lock (_lock)
        {
            var now = timeProvider.GetTimestamp();
            _tokens = Math.Min(_capacity, _tokens + ((now - _last) * _perTick));
            _last = now;
            if (_tokens >= 1)
            {
                _tokens -= 1;
                wait = TimeSpan.Zero;
                return true;
            }

            wait = TimeSpan.FromSeconds((1 - _tokens) / limit.PerSecond);
            return false;
        }
    }
}
