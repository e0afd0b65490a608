using Onboarding.TaskEngine.Topology;

namespace Onboarding.Tests.TaskEngine.Topology;

public sealed class BrokerUrisTests
{
    [Theory]
    [InlineData("amqp://guest:secret@localhost:10001", 10001)]
    [InlineData("amqp://guest:secret@localhost:10001;amqp://guest:secret@localhost:10002", 10001)]
    public void TryGetFirst_GivesTheFirstNode(string connectionString, int port)
    {
        Assert.True(BrokerUris.TryGetFirst(connectionString, out var uri));
        Assert.Equal(port, uri.Port);
    }

    [Fact]
    public void Nodes_ListsEveryUriInOrder()
    {
        var nodes = BrokerUris.Nodes("amqp://a:b@localhost:1;amqp://a:b@localhost:2");

        Assert.Equal([1, 2], nodes.Select(n => n.Port));
    }
}
