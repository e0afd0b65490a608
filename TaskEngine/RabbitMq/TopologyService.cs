using Microsoft.Extensions.Hosting;
using Onboarding.TaskEngine.Routing;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>Declares the routed queues and the dead-letter queue at start (idempotent: same arguments every time).</summary>
internal sealed class TopologyService(RabbitMqBroker broker, TaskRouter router) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        broker.DeclareTopologyAsync(router.Queues.Distinct(StringComparer.Ordinal), cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
