using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Onboarding.AppHost.Infrastructure;

/// <summary>
/// Tells command-line tools on this machine (the <c>onboarding</c> CLI) where the running application's RabbitMQ and
/// Redis are: their ports are allocated per run and their passwords generated, so nothing else knows them. Written,
/// owner-only, once both servers are ready; removed when the AppHost stops. It names the AppHost's process id and
/// start time, so a reader can tell a file left by a killed AppHost from a live one.
/// </summary>
internal static class ConnectionStateFile
{
    /// <summary>The file a person's run writes when <c>Infrastructure:StateFile</c> is not set.</summary>
    public static string DefaultPath { get; } = Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify),
        "onboarding", "apphost.json");

    /// <summary>
    /// The file to write: the configured one; else the default for a person's run (persistent data) and none for
    /// tests and benchmarks (fresh data), which must not take the place of the application a person is running.
    /// An empty setting turns it off.
    /// </summary>
    public static string? PathFor(InfrastructureSettings settings) =>
        settings.StateFile is { } configured
            ? configured.Length == 0 ? null : configured
            : settings.PersistentData ? DefaultPath : null;

    public static void WriteWhenReady(
        IDistributedApplicationBuilder builder,
        IResourceBuilder<IResourceWithConnectionString> rabbitmq,
        IResourceBuilder<IResourceWithConnectionString> redis,
        string path)
    {
        var ready = 0;
        async Task OnReadyAsync(ResourceReadyEvent evt, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref ready) != 2)
            {
                return;
            }

            var rabbitConnection = await rabbitmq.Resource.ConnectionStringExpression.GetValueAsync(cancellationToken);
            var redisConnection = await redis.Resource.ConnectionStringExpression.GetValueAsync(cancellationToken);
            await WriteAsync(path, rabbitConnection, redisConnection, cancellationToken);
            evt.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConnectionStateFile).FullName!)
                .LogInformation("Connection settings for the onboarding command line written to {StateFile}", path);
        }

        builder.Eventing.Subscribe<ResourceReadyEvent>(rabbitmq.Resource, OnReadyAsync);
        builder.Eventing.Subscribe<ResourceReadyEvent>(redis.Resource, OnReadyAsync);
        builder.Services.AddHostedService(_ => new Remover(path));
    }

    private static async Task WriteAsync(string path, string? rabbitmq, string? redis, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        using var self = Process.GetCurrentProcess();
        var content = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["pid"] = Environment.ProcessId,
            ["startedAt"] = new DateTimeOffset(self.StartTime.ToUniversalTime()),
            ["rabbitmq"] = rabbitmq,
            ["redis"] = redis,
        });
        await SecretFile.WriteAsync(path, content, cancellationToken);
    }

    // Removes the file at a clean stop, unless a later AppHost has written its own there meanwhile.
    private sealed class Remover(string path) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken)
        {
            try
            {
                if (File.Exists(path))
                {
                    using var document = JsonDocument.Parse(File.ReadAllText(path));
                    if (document.RootElement.TryGetProperty("pid", out var pid) && pid.GetInt32() == Environment.ProcessId)
                    {
                        File.Delete(path);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
            {
                // Best effort: a reader checks the process id anyway.
            }

            return Task.CompletedTask;
        }
    }
}
