using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.Benchmarks;
using StackExchange.Redis;

namespace Onboarding.Faults;

/// <summary>
/// RabbitMQ and Redis for the fault suite, started privately through the AppHost (<c>Infrastructure:Only=true</c>) as
/// the machine's own servers, so the suite can stop and start them: the broker's application with
/// <c>rabbitmqctl stop_app/start_app</c> (its node and queues stay), Redis with the AppHost's stop and start commands
/// (its append-only file keeps the stored results across the restart).
/// </summary>
internal sealed class FaultServers : IAsyncDisposable
{
    private readonly BenchmarkInfrastructure _infrastructure;
    private readonly RabbitMQExecutableResource _rabbitMq;

    private FaultServers(BenchmarkInfrastructure infrastructure, RabbitMQExecutableResource rabbitMq)
    {
        _infrastructure = infrastructure;
        _rabbitMq = rabbitMq;
    }

    public BenchmarkInfrastructure Infrastructure => _infrastructure;

    public string RabbitMqConnectionString => _infrastructure.RabbitMqConnectionString;

    public string RedisConnectionString => _infrastructure.RedisConnectionString;

    private DistributedApplication App => _infrastructure.App!;

    public static async Task<FaultServers> StartAsync(TextWriter log, CancellationToken cancellationToken)
    {
        var infrastructure = await BenchmarkInfrastructure.StartAppHostAsync(
            log,
            [
                // Process-level faults need the servers as local processes (rabbitmqctl, the AppHost's stop/start).
                "--Infrastructure:Mode=executables",
                "--Infrastructure:RedisAppendOnly=true",
            ],
            cancellationToken).ConfigureAwait(false);
        var model = infrastructure.App!.Services.GetRequiredService<DistributedApplicationModel>();
        var rabbitMq = model.Resources.OfType<RabbitMQExecutableResource>().Single();
        return new FaultServers(infrastructure, rabbitMq);
    }

    /// <summary><c>rabbitmqctl stop_app</c>: every connection closes, unacknowledged messages return to their queues.</summary>
    public Task StopBrokerAsync(CancellationToken cancellationToken) => RabbitMqCtlAsync("stop_app", cancellationToken);

    public Task StartBrokerAsync(CancellationToken cancellationToken) => RabbitMqCtlAsync("start_app", cancellationToken);

    /// <summary>Stops Redis (SIGTERM from the orchestrator; the append-only file is flushed) and waits until it is gone.</summary>
    public async Task StopRedisAsync(CancellationToken cancellationToken)
    {
        await CommandAsync("redis", KnownResourceCommands.StopCommand, cancellationToken).ConfigureAwait(false);
        await WaitUntilAsync(async () => !await RedisAnswersAsync().ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts Redis again on the same port and waits until it answers.</summary>
    public async Task StartRedisAsync(CancellationToken cancellationToken)
    {
        await CommandAsync("redis", KnownResourceCommands.StartCommand, cancellationToken).ConfigureAwait(false);
        await WaitUntilAsync(RedisAnswersAsync, cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> RedisAnswersAsync()
    {
        try
        {
            var options = ConfigurationOptions.Parse(RedisConnectionString);
            options.AbortOnConnectFail = true;
            options.ConnectTimeout = 1000;
            await using var connection = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
            await connection.GetDatabase().PingAsync().ConfigureAwait(false);
            return true;
        }
        catch (RedisException)
        {
            return false;
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition().ConfigureAwait(false))
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(1))
            {
                throw new TimeoutException("Redis did not change state within a minute.");
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task CommandAsync(string resource, string command, CancellationToken cancellationToken)
    {
        var result = await App.ResourceCommands.ExecuteCommandAsync(resource, command, cancellationToken).ConfigureAwait(false);
        if (!result.Success)
        {
            throw new InvalidOperationException($"{command} of {resource} failed: {result.Message}");
        }
    }

    private async Task RabbitMqCtlAsync(string command, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Path.Combine(Path.GetDirectoryName(_rabbitMq.Command)!, "rabbitmqctl"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-n", _rabbitMq.NodeName, command])
        {
            start.ArgumentList.Add(argument);
        }

        // rabbitmqctl authenticates with the Erlang cookie in the node's HOME.
        start.Environment["HOME"] = _rabbitMq.WorkingDirectory;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("rabbitmqctl did not start.");
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        _ = process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl {command} failed: {await error.ConfigureAwait(false)}");
        }
    }

    public ValueTask DisposeAsync() => _infrastructure.DisposeAsync();
}
