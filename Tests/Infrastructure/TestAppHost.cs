using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Onboarding.Tests.Infrastructure;

/// <summary>Builds the real AppHost for tests: fresh data, no management plugin, no dashboard, no dead OTLP endpoint.</summary>
internal static class TestAppHost
{
    public static string[] Arguments(bool infrastructureOnly, params string[] extra) =>
    [
        // The management plugin adds about 5 s to the broker's shutdown; tests do not need its UI.
        "--Infrastructure:RabbitMQManagement=false",
        "--Infrastructure:PersistentData=false",
        $"--Infrastructure:Only={infrastructureOnly}",
        .. extra,
    ];

    public static async Task<IDistributedApplicationTestingBuilder> CreateBuilderAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            arguments,
            (options, _) => options.DisableDashboard = true,
            cancellationToken);

        // Without a dashboard nothing listens on the OTLP endpoint Aspire still hands out, and each project's exporter
        // would hang its shutdown on a flush to it.
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            builder.CreateResourceBuilder(project)
                .WithEnvironment(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
        }

        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Aspire.Hosting.Dcp", LogLevel.Warning)
            .AddFilter("Aspire.", LogLevel.Warning)
            // Every resource's console goes to the test log otherwise: thousands of lines a run.
            .AddFilter("AppHost.Resources", LogLevel.Warning)
            // A server's health check fails until it has started and after it is stopped, with a full stack trace each
            // time; the resource's health state says the same in one place.
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical));

        return builder;
    }

    public static async Task<DistributedApplication> StartAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var builder = await CreateBuilderAsync(arguments, cancellationToken);
        var app = await builder.BuildAsync(cancellationToken).WaitAsync(TestTimeouts.Build, cancellationToken);
        try
        {
            await app.StartAsync(cancellationToken).WaitAsync(TestTimeouts.StartAndHealthy, cancellationToken);
            var names = ApplicationResources(builder.Resources).Select(r => r.Name);
            await Task.WhenAll(names.Select(name =>
                app.ResourceNotifications.WaitForResourceHealthyAsync(name, cancellationToken)))
                .WaitAsync(TestTimeouts.StartAndHealthy, cancellationToken);
            return app;
        }
        catch
        {
            await StopAsync(app);
            throw;
        }
    }

    /// <summary>
    /// The servers, services and workers the AppHost declares, without what Aspire adds around them (parameters, the
    /// hidden per-project rebuilders, which never report healthy).
    /// </summary>
    public static IEnumerable<IResource> ApplicationResources(IEnumerable<IResource> resources) =>
        resources.Where(r => r is ProjectResource or IResourceWithConnectionString);

    public static async Task StopAsync(DistributedApplication app)
    {
        try
        {
            await app.StopAsync().WaitAsync(TestTimeouts.Stop);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
