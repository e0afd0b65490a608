using Onboarding.Faults;

namespace Onboarding.Tests.Faults;

/// <summary>
/// The fault suite's servers, separate from the shared test servers: its scenarios stop and start them, which the
/// other tests must never see.
/// </summary>
public sealed class FaultServersFixture : IAsyncLifetime
{
    private FaultServers? _servers;

    internal FaultServers Servers => _servers ?? throw new InvalidOperationException("The fault servers have not started.");

    /// <summary>Where the scenarios' worker consoles and execution logs go.</summary>
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "onboarding-faults", "tests-" + Guid.NewGuid().ToString("N")[..8]);

    public async ValueTask InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        _servers = await FaultServers.StartAsync(TextWriter.Null, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (_servers is not null)
        {
            await _servers.DisposeAsync();
        }
    }
}

// Alone, after the parallel tests: its cluster scenarios boot three nodes, which must not race other servers' boots.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultServersCollection : ICollectionFixture<FaultServersFixture>
{
    public const string Name = "Fault suite servers";
}
