using Microsoft.Extensions.Configuration;
using Onboarding.AppHost.Infrastructure;

namespace Onboarding.Tests.AppHost;

public sealed class ConnectionStateFileTests
{
    [Fact]
    public void PathFor_IsTheDefault_WhenAPersonRunsTheAppWithPersistentData()
    {
        Assert.Equal(ConnectionStateFile.DefaultPath, ConnectionStateFile.PathFor(Settings()));
    }

    [Fact]
    public void PathFor_IsNone_WhenDataIsFreshAsInTestsAndBenchmarks()
    {
        Assert.Null(ConnectionStateFile.PathFor(Settings(("Infrastructure:PersistentData", "false"))));
    }

    [Fact]
    public void PathFor_FollowsTheSetting_WhenStateFileIsConfigured()
    {
        Assert.Equal("/tmp/state.json", ConnectionStateFile.PathFor(
            Settings(("Infrastructure:PersistentData", "false"), ("Infrastructure:StateFile", "/tmp/state.json"))));
        Assert.Null(ConnectionStateFile.PathFor(Settings(("Infrastructure:StateFile", ""))));
    }

    private static InfrastructureSettings Settings(params (string Key, string Value)[] values) =>
        InfrastructureSettings.From(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build());
}
