using Aspire.Hosting;

namespace Onboarding.Tests.Infrastructure;

/// <summary>The whole application, started once per test collection: starting it costs 10–20 s on 2 cores.</summary>
public sealed class AppFixture : IAsyncLifetime
{
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The application has not started.");

    public async ValueTask InitializeAsync() =>
        _app = await TestAppHost.StartAsync(TestAppHost.Arguments(infrastructureOnly: false), CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await TestAppHost.StopAsync(_app);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "Whole application";
}
