using Onboarding.Cli.Connection;

namespace Onboarding.Tests.Cli;

public sealed class BrokerConnectionTests
{
    [Theory]
    [InlineData("amqp://guest:Secret1@localhost:1", "amqp://guest:***@localhost:1")]
    [InlineData("amqp://guest:Secret1@localhost:1;amqp://guest:Secret1@localhost:2", "amqp://guest:***@localhost:1;amqp://guest:***@localhost:2")]
    public void RabbitMqForDisplay_HidesEveryNodesPassword(string rabbitMq, string shown)
    {
        var connection = new BrokerConnection(rabbitMq, "localhost:3,password=Secret2", "test", "test");

        Assert.Equal(shown, connection.RabbitMqForDisplay);
    }
}
