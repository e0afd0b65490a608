using Onboarding.TaskEngine.RabbitMq;
using Onboarding.TaskEngine.Retry;

namespace Onboarding.Tests.TaskEngine.Retry;

public sealed class ExponentialBackoffTests
{
    [Theory]
    [InlineData(0, 1000)]
    [InlineData(1, 2000)]
    [InlineData(3, 8000)]
    [InlineData(20, 600_000)]
    public void Compute_DoublesUpToMax_WhenNoJitter(int retries, double expectedMs) =>
        Assert.Equal(
            TimeSpan.FromMilliseconds(expectedMs),
            ExponentialBackoff.Compute(TimeSpan.FromSeconds(1), retries, TimeSpan.FromMinutes(10), fullJitter: false, random01: 0.3));

    [Fact]
    public void Compute_ScalesByRandom_WhenFullJitter() =>
        Assert.Equal(
            TimeSpan.FromMilliseconds(2000),
            ExponentialBackoff.Compute(TimeSpan.FromSeconds(1), 2, TimeSpan.FromMinutes(10), fullJitter: true, random01: 0.5));

    [Theory]
    [InlineData(5, null)]
    [InlineData(16, 4)]
    [InlineData(1000, 9)]
    [InlineData(2000, 10)]
    [InlineData(1e12, 26)]
    public void DelayExponent_PicksLargestPowerOfTwoNotPastDue_ForDelays(double ms, int? expected) =>
        Assert.Equal(expected, RabbitMqBroker.DelayExponent(TimeSpan.FromMilliseconds(ms)));
}
