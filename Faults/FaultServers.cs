using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.AppHost.Infrastructure;
using Onboarding.Benchmarks;
using Onboarding.TaskEngine.DependencyInjection;
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

    private FaultServers(BenchmarkInfrastructure infrastructure, IReadOnlyList<RabbitMQExecutableResource> nodes)
    {
        _infrastructure = infrastructure;
        _rabbitMq = nodes[0];
        Nodes = nodes;
    }

    /// <summary>The RabbitMQ nodes: one, or the nodes of a cluster.</summary>
    public IReadOnlyList<RabbitMQExecutableResource> Nodes { get; }

    /// <summary>Quorum queues on a cluster (classic queues live on one node and die with it), classic on one node.</summary>
    public QueueType QueueType => Nodes.Count > 1 ? QueueType.Quorum : QueueType.Classic;

    public BenchmarkInfrastructure Infrastructure => _infrastructure;

    public string RabbitMqConnectionString => _infrastructure.RabbitMqConnectionString;

    public string RedisConnectionString => _infrastructure.RedisConnectionString;

    private DistributedApplication App => _infrastructure.App!;

    public static async Task<FaultServers> StartAsync(TextWriter log, CancellationToken cancellationToken, int rabbitMQNodes = 1)
    {
        var infrastructure = await BenchmarkInfrastructure.StartAppHostAsync(
            log,
            [
                // Process-level faults need the servers as local processes (rabbitmqctl, the AppHost's stop/start).
                "--Infrastructure:Mode=executables",
                "--Infrastructure:RedisAppendOnly=true",
                string.Create(CultureInfo.InvariantCulture, $"--Infrastructure:RabbitMQNodes={rabbitMQNodes}"),
            ],
            cancellationToken).ConfigureAwait(false);
        var model = infrastructure.App!.Services.GetRequiredService<DistributedApplicationModel>();
        var nodes = model.Resources.OfType<RabbitMQExecutableResource>().OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
        return new FaultServers(infrastructure, nodes);
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

    private Task RabbitMqCtlAsync(string command, CancellationToken cancellationToken) =>
        RabbitMQCtl.RunAsync(CtlPath, _rabbitMq, [command], cancellationToken);

    private string CtlPath => Path.Combine(Path.GetDirectoryName(_rabbitMq.Command)!, "rabbitmqctl");

    /// <summary>The node leading a quorum queue.</summary>
    public Task<RabbitMQExecutableResource> QueueLeaderAsync(string queue, CancellationToken cancellationToken) =>
        RabbitMQClusterStatus.QueueLeaderAsync(CtlPath, Nodes, queue, cancellationToken);

    /// <summary>SIGKILLs a node's Erlang VM, as a crashed machine loses it.</summary>
    public static void KillNode(RabbitMQExecutableResource node)
    {
        if (RabbitMQNodeProcesses.Kill(node) == 0)
        {
            throw new InvalidOperationException($"{node.Name} has no Erlang VM to kill.");
        }
    }

    /// <summary>
    /// Starts a killed node again (once the orchestrator has seen it exit) and waits until every node runs in the
    /// cluster; returns how long the rejoin took from the start command.
    /// </summary>
    public async Task<TimeSpan> StartNodeAsync(RabbitMQExecutableResource node, CancellationToken cancellationToken)
    {
        await App.ResourceNotifications.WaitForResourceAsync(node.Name, KnownResourceStates.TerminalStates, cancellationToken)
            .WaitAsync(TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
        var started = Stopwatch.StartNew();
        await CommandAsync(node.Name, KnownResourceCommands.StartCommand, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            try
            {
                if ((await RabbitMQClusterStatus.RunningNodesAsync(CtlPath, Nodes, cancellationToken).ConfigureAwait(false)).Count == Nodes.Count)
                {
                    return started.Elapsed;
                }
            }
            catch (InvalidOperationException)
            {
                // No node answered this time.
            }

            if (started.Elapsed > TimeSpan.FromMinutes(3))
            {
                throw new TimeoutException($"{node.Name} did not rejoin the cluster within three minutes.");
            }

            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => _infrastructure.DisposeAsync();
}
