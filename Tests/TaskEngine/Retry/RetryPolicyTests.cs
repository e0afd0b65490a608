using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Retry;

namespace Onboarding.Tests.TaskEngine.Retry;

public sealed class RetryPolicyTests
{
    private static readonly RetryPolicy Tasks = new(
        MaxRetries: 3, Backoff: TimeSpan.FromSeconds(1), BackoffMax: TimeSpan.FromMinutes(10), Jitter: false,
        RetryOn: [typeof(TimeoutException), typeof(IOException)]);

    private static readonly RetryPolicy Events = new(
        MaxRetries: 5, Backoff: TimeSpan.FromMilliseconds(100), BackoffMax: TimeSpan.FromSeconds(1), Jitter: false,
        RetryOn: RetryPolicy.AnyException);

    [Theory]
    [InlineData(0, 1000)]
    [InlineData(1, 2000)]
    [InlineData(2, 4000)]
    public void Decide_RetriesWithBackoff_WhenExceptionIsListed(int retries, int expectedMs)
    {
        var failure = new TimeoutException("slow");

        var decision = Tasks.Decide(failure, retries, random01: 0.5);

        Assert.Equal(RetryVerdict.Retry, decision.Verdict);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), decision.Delay);
        Assert.Same(failure, decision.Cause);
    }

    [Fact]
    public void Decide_Retries_WhenExceptionIsSubtypeOfListedType() =>
        Assert.Equal(RetryVerdict.Retry, Tasks.Decide(new FileNotFoundException("gone"), 0, 0.5).Verdict);

    [Fact]
    public void Decide_Fails_WhenExceptionIsNotListed()
    {
        var failure = new InvalidOperationException("bug");

        var decision = Tasks.Decide(failure, 0, 0.5);

        Assert.Equal(RetryVerdict.Fail, decision.Verdict);
        Assert.Same(failure, decision.Cause);
    }

    [Fact]
    public void Decide_Exhausts_WhenListedExceptionHasHadAllRetries() =>
        Assert.Equal(RetryVerdict.Exhausted, Tasks.Decide(new TimeoutException(), retries: 3, 0.5).Verdict);

    [Fact]
    public void Decide_Exhausts_WhenRetryIsAskedAfterAllRetries()
    {
        var reason = new InvalidOperationException("still down");

        var decision = Tasks.Decide(new TaskRetryException(reason, null), retries: 3, 0.5);

        Assert.Equal(RetryVerdict.Exhausted, decision.Verdict);
        Assert.Same(reason, decision.Cause);
    }

    [Fact]
    public void Decide_UsesAskedCountdown_WhenRetryIsAskedWithCountdown()
    {
        var decision = Tasks.Decide(new TaskRetryException(null, TimeSpan.FromSeconds(42)), retries: 2, 0.5);

        Assert.Equal(RetryVerdict.Retry, decision.Verdict);
        Assert.Equal(TimeSpan.FromSeconds(42), decision.Delay);
    }

    [Fact]
    public void Decide_ReportsReasonAsCause_WhenRetryIsAskedForUnlistedException()
    {
        var reason = new InvalidOperationException("not in RetryOn");

        var decision = Tasks.Decide(new TaskRetryException(reason, null), retries: 0, 0.5);

        Assert.Equal(RetryVerdict.Retry, decision.Verdict);
        Assert.Equal(TimeSpan.FromSeconds(1), decision.Delay);
        Assert.Same(reason, decision.Cause);
    }

    [Fact]
    public void Decide_ReportsRetryRequestAsCause_WhenRetryIsAskedWithoutReason()
    {
        var asked = new TaskRetryException(null, null);

        Assert.Same(asked, Tasks.Decide(asked, 0, 0.5).Cause);
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.25, 1000)]
    [InlineData(1.0, 4000)]
    public void Decide_ScalesDelayByDraw_WhenJitterIsOn(double random01, int expectedMs) =>
        Assert.Equal(
            TimeSpan.FromMilliseconds(expectedMs),
            (Tasks with { Jitter = true }).Decide(new TimeoutException(), retries: 2, random01).Delay);

    [Theory]
    [InlineData(0, 100)]
    [InlineData(1, 200)]
    [InlineData(2, 400)]
    [InlineData(4, 1000)]
    public void Decide_DoublesEventDelayUpToMax_WhenAttemptsGrow(int attempt, int expectedMs)
    {
        var decision = Events.Decide(new InvalidOperationException("handler failed"), attempt, 0.5);

        Assert.Equal(RetryVerdict.Retry, decision.Verdict);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), decision.Delay);
    }

    [Fact]
    public void Decide_ExhaustsEvent_WhenMaxRetriesReached() =>
        Assert.Equal(RetryVerdict.Exhausted, Events.Decide(new InvalidOperationException(), retries: 5, 0.5).Verdict);
}
