namespace Onboarding.Tests.Infrastructure;

/// <summary>
/// The tests that start a three-node RabbitMQ cluster of their own. They run alone, after the parallel tests: three
/// nodes booting beside another cluster (or the fault suite's servers) on two busy cores once took longer than the
/// start's three minutes, twice in two runs, and a node that waits too long for its seed forms a cluster of its own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "Three-node RabbitMQ clusters";
}
