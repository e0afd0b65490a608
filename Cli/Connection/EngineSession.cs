using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Onboarding.Contracts;

namespace Onboarding.Cli.Connection;

/// <summary>
/// The task engine as a service uses it (<c>AddTaskEngine</c> with the same connection strings and <c>TaskEngine__*</c>
/// settings), but never started: a command resolves the one service it needs, and only that service connects.
/// </summary>
internal sealed class EngineSession : IAsyncDisposable
{
    private const string TaskEngineVariablePrefix = "TaskEngine__";

    private readonly IHost _host;

    private EngineSession(IHost host, BrokerConnection connection)
    {
        _host = host;
        Connection = connection;
    }

    public BrokerConnection Connection { get; }

    public static EngineSession Create(BrokerConnection connection, CliConsole console)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:rabbitmq"] = connection.RabbitMq,
            ["ConnectionStrings:redis"] = connection.Redis,
            // An operator wants an answer or an error within seconds, not a service's patient reconnects.
            ["Aspire:RabbitMQ:Client:MaxConnectRetryCount"] = "0",
            ["Aspire:RabbitMQ:Client:DisableHealthChecks"] = "true",
            ["Aspire:RabbitMQ:Client:DisableTracing"] = "true",
            ["Aspire:StackExchange:Redis:DisableHealthChecks"] = "true",
            ["Aspire:StackExchange:Redis:DisableTracing"] = "true",
        };
        // The same queue names and routes as the services it operates on, from the same variables.
        foreach (var (name, value) in console.Environment)
        {
            if (name.StartsWith(TaskEngineVariablePrefix, StringComparison.OrdinalIgnoreCase))
            {
                settings[name.Replace("__", ":", StringComparison.Ordinal)] = value;
            }
        }

        builder.Configuration.AddInMemoryCollection(settings);
        // The command's own output says what happened; library logs would only interleave with it.
        builder.Logging.ClearProviders();
        builder.AddTaskEngine(configure: options => options.PublishRetries = 1).WithDefaultRoutes(TaskRoutes.Seed).AddWorkerControl();
        return new EngineSession(builder.Build(), connection);
    }

    public T Get<T>()
        where T : notnull => _host.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        if (_host is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            _host.Dispose();
        }
    }
}
