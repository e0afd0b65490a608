using Onboarding.TaskEngine.RabbitMq;

namespace Onboarding.Tests.TaskEngine.RabbitMq;

public sealed class BrokerAddressesTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("amqp://guest:secret@localhost:5672")]
    public void ParseCluster_ReturnsNull_WhenTheStringNamesOneNodeOrNone(string? connectionString)
    {
        Assert.Null(BrokerAddresses.ParseCluster(connectionString));
    }

    [Fact]
    public void ParseCluster_GivesEveryNodeAsAnEndpoint_WhenSeparatedBySemicolons()
    {
        var addresses = BrokerAddresses.ParseCluster(
            "amqp://guest:p%2Fw@localhost:10001;amqp://guest:p%2Fw@localhost:10002/; amqp://guest:p%2Fw@127.0.0.1:10003")!;

        Assert.Equal(
            [("localhost", 10001), ("localhost", 10002), ("127.0.0.1", 10003)],
            addresses.Endpoints.Select(e => (e.HostName, e.Port)));
        Assert.All(addresses.Endpoints, e => Assert.False(e.Ssl.Enabled));
        // As written: the client integration decodes the password itself.
        Assert.Equal("amqp://guest:p%2Fw@localhost:10001", addresses.Uris[0]);
    }

    [Fact]
    public void ParseCluster_TurnsTlsOn_ForAmqpsNodes()
    {
        var addresses = BrokerAddresses.ParseCluster("amqps://u:p@a.example:5671;amqps://u:p@b.example")!;

        Assert.All(addresses.Endpoints, e => Assert.True(e.Ssl.Enabled));
        Assert.Equal("b.example", addresses.Endpoints[1].Ssl.ServerName);
    }

    [Theory]
    [InlineData("amqp://guest:Secret1@localhost:1;amqp://guest:Secret2@localhost:2")]
    [InlineData("amqp://guest:Secret1@localhost:1/a;amqp://guest:Secret1@localhost:2/b")]
    [InlineData("amqp://guest:Secret1@localhost:1;amqps://guest:Secret1@localhost:2")]
    public void ParseCluster_RefusesNodesWithDifferentCredentialsOrVirtualHosts_WithoutShowingThePassword(string connectionString)
    {
        var error = Assert.Throws<FormatException>(() => BrokerAddresses.ParseCluster(connectionString));

        Assert.Contains("localhost:1", error.Message, StringComparison.Ordinal);
        Assert.Contains("localhost:2", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret1", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("amqp://guest:secret@localhost:1;not a uri")]
    [InlineData("amqp://guest:secret@localhost:1;http://localhost:2")]
    public void ParseCluster_RefusesANodeThatIsNoAmqpUri(string connectionString)
    {
        var error = Assert.Throws<FormatException>(() => BrokerAddresses.ParseCluster(connectionString));

        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
    }
}
