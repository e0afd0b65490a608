using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;

namespace Onboarding.Tests.Cli;

/// <summary>An in-process worker with a node name of its own, so remote control can address it alone with <c>-d</c>.</summary>
internal static class ControlTestHost
{
    public static async Task<(EngineTestHost Host, string Node)> StartAsync(BrokerFixture fixture, int concurrency = 2, bool events = false)
    {
        var node = $"celery@cli-test-{Guid.NewGuid().ToString("N")[..8]}";
        var host = await EngineTestHost.StartAsync(
            fixture,
            concurrency: concurrency,
            services: services => services.Configure<TaskWorkerOptions>(o =>
            {
                o.Hostname = node;
                o.Events = events;
            }));
        return (host, node);
    }
}
