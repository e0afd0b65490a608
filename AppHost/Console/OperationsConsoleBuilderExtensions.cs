using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>The operations console: its password, its dashboard links and its login link.</summary>
internal static class OperationsConsoleBuilderExtensions
{
    public const string ResourceName = "console";

    /// <summary>The pages the dashboard links to, by display name.</summary>
    public static readonly (string Path, string Name)[] Pages =
    [
        ("/tasks", "Tasks"),
        ("/workflows", "Workflows"),
        ("/workers", "Workers"),
        ("/queues", "Queues"),
        ("/dead-letters", "Dead letters"),
        ("/schedules", "Schedules"),
    ];

    /// <summary>
    /// Adds the console with a generated password (parameter <c>console-password</c>, kept in the AppHost's user
    /// secrets like the servers' passwords, listed masked among the dashboard's parameters). It stays internal in a published manifest
    /// unless <c>Console:External=true</c>: it purges queues and kills tasks.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddOperationsConsole(
        this IDistributedApplicationBuilder builder,
        IResourceBuilder<IResourceWithConnectionString> rabbitmq,
        IResourceBuilder<IResourceWithConnectionString> redis)
    {
        // A parameter resource (not only a value), so the dashboard lists it, masked, as it shows its own token.
        var password = builder.AddParameter($"{ResourceName}-password",
            new GenerateParameterDefault { MinLength = 22, Special = false }, secret: true, persist: true);
        var console = builder.AddProject<Projects.Console>(ResourceName)
            .WithReference(rabbitmq).WaitFor(rabbitmq)
            .WithReference(redis).WaitFor(redis)
            .WithEnvironment("Console__Password", password)
            // Its Retry sends tasks too: their sent event gives the index their queue.
            .WithEnvironment("TaskEngine__SendSentEvents", "true")
            .WithHttpHealthCheck("/health");
        // With the broker's management plugin on, the Queues page reads every queue with its rates from it (signing in
        // with the AMQP connection's user); without it the page says what AMQP cannot give.
        var management = rabbitmq.Resource is IResourceWithEndpoints broker
            ? broker.GetEndpoints().FirstOrDefault(e => e.EndpointName == "management")
            : null;
        if (management is not null)
        {
            console.WithEnvironment("Console__RabbitMQManagement", management);
        }

        foreach (var (path, name) in Pages)
        {
            console.WithUrlForEndpoint("http", _ => new ResourceUrlAnnotation { Url = path, DisplayText = name });
        }

        if (builder.Configuration.GetValue<bool>("Console:External"))
        {
            console.WithExternalHttpEndpoints();
        }

        // The login link, printed as the dashboard prints its token link: the password is the token.
        builder.Eventing.Subscribe<ResourceReadyEvent>(console.Resource, async (e, ct) =>
        {
            var url = console.Resource.GetEndpoint("http").Url;
            var secret = await password.Resource.GetValueAsync(ct).ConfigureAwait(false);
            e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Onboarding.AppHost.Console")
                .LogInformation("Log in to the operations console at {Url}/login?t={Password}", url, secret);
        });
        return console;
    }
}
