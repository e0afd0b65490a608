using Microsoft.Extensions.Configuration;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.RabbitMq;
using Onboarding.TaskEngine.Topology;

namespace Onboarding.Tests.TaskEngine.Topology;

public sealed class QueueArgumentsTests
{
    [Fact]
    public void QueueTypeOf_TakesPerQueueSetting_WhenConfiguredUnderQueues()
    {
        var options = Bind(new()
        {
            ["TaskEngine:QueueType"] = "quorum",
            ["TaskEngine:Queues:legacy_queue:Type"] = "classic",
        });

        Assert.Equal(QueueType.Quorum, options.QueueTypeOf("order_queue"));
        Assert.Equal(QueueType.Classic, options.QueueTypeOf("legacy_queue"));
    }

    [Fact]
    public void ForWorkQueue_DeclaresDeliveryLimitAndAtLeastOnceDeadLettering_WhenQuorum()
    {
        var options = Bind(new() { ["TaskEngine:QueueType"] = "Quorum", ["TaskEngine:DeliveryLimit"] = "7" });

        var arguments = QueueArguments.ForWorkQueue(options, "order_queue");

        Assert.Equal(
            new Dictionary<string, object?>
            {
                ["x-queue-type"] = "quorum",
                ["x-delivery-limit"] = 7,
                ["x-dead-letter-exchange"] = "",
                ["x-dead-letter-routing-key"] = "onboarding.dead_letter",
                ["x-dead-letter-strategy"] = "at-least-once",
                ["x-overflow"] = "reject-publish",
            },
            arguments);
        Assert.Null(QueueArguments.ForWorkQueue(Bind([]), "order_queue"));
    }

    [Fact]
    public void ForDelayQueue_TakesTargetQueuesType_WhenTargetIsOverridden()
    {
        var options = Bind(new() { ["TaskEngine:Queues:order_queue:Type"] = "quorum" });

        Assert.Equal("quorum", QueueArguments.TypeOf(QueueArguments.ForDelayQueue(options, "order_queue", 1024)));
        Assert.Equal("classic", QueueArguments.TypeOf(QueueArguments.ForDelayQueue(options, "user_queue", 1024)));
        Assert.Equal(1024L, QueueArguments.ForDelayQueue(options, "order_queue", 1024)["x-message-ttl"]);
        Assert.Null(QueueArguments.ForDeadLetterQueue(options));
    }

    [Theory]
    [InlineData(
        "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'q' in vhost '/': received none but current is the value 'quorum' of type 'longstr'",
        "x-queue-type", null, "quorum", "longstr")]
    [InlineData(
        "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'q' in vhost '/': received the value 'quorum' of type 'longstr' but current is none",
        "x-queue-type", "quorum", null, null)]
    [InlineData(
        "PRECONDITION_FAILED - inequivalent arg 'x-delivery-limit' for queue 'a.b' in vhost '/': received '20' but current is '5'",
        "x-delivery-limit", "20", "5", null)]
    [InlineData(
        "PRECONDITION_FAILED - inequivalent arg 'x-dead-letter-exchange' for queue 'q' in vhost '/': received the value '' of type 'longstr' but current is none",
        "x-dead-letter-exchange", "", null, null)]
    public void Parse_ReadsArgumentAndBothSides_WhenBrokerRefusesDeclaration(
        string reply, string argument, string? received, string? current, string? currentType)
    {
        Assert.Equal(new QueueMismatch.Difference(argument, received, current, currentType), QueueMismatch.Parse(reply));
    }

    [Fact]
    public void Parse_ReturnsNull_WhenReplyIsAboutSomethingElse() =>
        Assert.Null(QueueMismatch.Parse("PRECONDITION_FAILED - invalid property 'exclusive-owner' for queue 'excl' in vhost '/'"));

    private static TaskEngineOptions Bind(Dictionary<string, string?> settings)
    {
        var options = new TaskEngineOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(TaskEngineOptions.SectionName).Bind(options);
        return options;
    }
}
