using System.Text;
using Onboarding.TaskEngine.RabbitMq;

namespace Onboarding.Tests.TaskEngine.Integration;

/// <summary>Where a replay sends a dead letter, read from its headers (no broker needed).</summary>
public sealed class DeadLetterReplayDestinationTests
{
    [Fact]
    public void ReplayDestination_IsOriginalExchangeAndRoutingKey_WhenMessageNeverReachedAQueue()
    {
        // As the broker delivers them: strings arrive as bytes.
        var headers = new Dictionary<string, object?>
        {
            [RabbitMqBroker.DeathReasonHeader] = Encoding.UTF8.GetBytes(RabbitMqBroker.UnroutableReason),
            [RabbitMqBroker.OriginalExchangeHeader] = Encoding.UTF8.GetBytes("onboarding.events"),
            [RabbitMqBroker.OriginalRoutingKeyHeader] = Encoding.UTF8.GetBytes("user.login"),
        };

        Assert.Equal(("onboarding.events", "user.login"), RabbitMqBroker.ReplayDestination(headers, "celery"));
    }

    [Fact]
    public void ReplayDestination_IsOriginalQueueThroughDefaultExchange_WhenTaskWasDeadLettered()
    {
        var headers = new Dictionary<string, object?>
        {
            [RabbitMqBroker.OriginalQueueHeader] = Encoding.UTF8.GetBytes("user_queue"),
            ["x-first-death-queue"] = Encoding.UTF8.GetBytes("other_queue"),
        };

        Assert.Equal((string.Empty, "user_queue"), RabbitMqBroker.ReplayDestination(headers, "celery"));
    }

    [Fact]
    public void ReplayDestination_IsBrokersDeathQueueElseDefaultQueue_WhenOursIsMissing()
    {
        Assert.Equal((string.Empty, "order_queue"), RabbitMqBroker.ReplayDestination(
            new Dictionary<string, object?> { ["x-first-death-queue"] = Encoding.UTF8.GetBytes("order_queue") }, "celery"));
        Assert.Equal((string.Empty, "celery"), RabbitMqBroker.ReplayDestination(null, "celery"));
    }

    [Fact]
    public void ReplayStrippedHeaders_IncludeTheOriginOfUnroutableMessages() =>
        Assert.Superset(
            new HashSet<string> { RabbitMqBroker.OriginalExchangeHeader, RabbitMqBroker.OriginalRoutingKeyHeader, RabbitMqBroker.DeathReasonHeader },
            RabbitMqBroker.ReplayStrippedHeaders.ToHashSet());
}
