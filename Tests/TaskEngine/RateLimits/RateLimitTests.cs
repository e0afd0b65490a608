using Microsoft.Extensions.Time.Testing;
using Onboarding.TaskEngine.RateLimits;

namespace Onboarding.Tests.TaskEngine.RateLimits;

public sealed class RateLimitTests
{
    [Theory]
    [InlineData("100/m", 100, 60)]
    [InlineData("10/s", 10, 1)]
    [InlineData("5/h", 5, 3600)]
    [InlineData("2.5", 2.5, 1)]
    public void TryParse_ReadsTokensAndPeriod_ForCeleryRates(string text, double tokens, double seconds)
    {
        Assert.True(RateLimit.TryParse(text, out var limit));
        Assert.Equal(tokens, limit.Tokens);
        Assert.Equal(TimeSpan.FromSeconds(seconds), limit.Period);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("10/d")]
    [InlineData("-1/s")]
    public void TryParse_Fails_ForInvalidRates(string text) => Assert.False(RateLimit.TryParse(text, out _));

    [Fact]
    public void TryTake_RefillsOverTime_WhenBucketIsEmpty()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(RateLimit.Parse("2/s"), time);

        Assert.True(bucket.TryTake(out _));
        Assert.True(bucket.TryTake(out _));
        Assert.False(bucket.TryTake(out var wait));
        Assert.Equal(TimeSpan.FromMilliseconds(500), wait);

        time.Advance(TimeSpan.FromMilliseconds(500));

        Assert.True(bucket.TryTake(out _));
        Assert.False(bucket.TryTake(out _));
    }
}
