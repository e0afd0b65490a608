using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.AppHost;

/// <summary>Stopping the AppHost stops every node it started.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RabbitMQClusterTeardownTests
{
    [Fact]
    public async Task Stop_LeavesNoNodeRunning()
    {
        var ct = TestContext.Current.CancellationToken;
        var app = await TestAppHost.StartAsync(RabbitMQClusterFixture.Arguments, ct);
        var nodes = RabbitMQClusterFixture.NodesOf(app);
        Assert.Equal(3, (await RabbitMQClusterFixture.RunningNodesAsync(nodes, ct)).Count);

        await TestAppHost.StopAsync(app);

        await Eventually.UntilAsync(
            () => !nodes.Any(RabbitMQClusterFixture.IsRunning), TestTimeouts.Stop, ct, TimeSpan.FromMilliseconds(200));
    }
}
