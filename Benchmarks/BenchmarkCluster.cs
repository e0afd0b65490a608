namespace Onboarding.Benchmarks;

/// <summary>
/// The three-node RabbitMQ cluster of the W…QC rows, started when the first of them runs and stopped after the last:
/// the nodes given by <c>ONBOARDING_BENCH_RABBITMQ_CLUSTER</c> (every node's URI, <c>;</c>-separated, with the run's
/// Redis); else the cluster the orchestrating parent process starts on request (<see cref="ClusterPipe"/>); else, when
/// this process was given its one-node servers and has no parent, a cluster through an AppHost of its own.
/// </summary>
internal sealed class BenchmarkCluster(BenchmarkInfrastructure oneNode) : IAsyncDisposable
{
    public const string RabbitMqVariable = "ONBOARDING_BENCH_RABBITMQ_CLUSTER";

    private ClusterPipe.Client? _parent;
    private BenchmarkInfrastructure? _current;

    public async Task<BenchmarkInfrastructure> StartAsync(TextWriter log, CancellationToken cancellationToken)
    {
        if (_current is not null)
        {
            return _current;
        }

        if (Environment.GetEnvironmentVariable(RabbitMqVariable) is { Length: > 0 } given)
        {
            _current = BenchmarkInfrastructure.External(given, oneNode.RedisConnectionString, RabbitMqVariable);
        }
        else if (Environment.GetEnvironmentVariable(ClusterPipe.NameVariable) is { Length: > 0 } pipe)
        {
            await log.WriteLineAsync("Asking the parent process for a three-node cluster ...").ConfigureAwait(false);
            _parent ??= await ClusterPipe.Client.ConnectAsync(pipe, cancellationToken).ConfigureAwait(false);
            var reply = await _parent.AskAsync(cancellationToken, ClusterPipe.Start).ConfigureAwait(false);
            _current = BenchmarkInfrastructure.External(reply[0], reply[1], reply[2] + ", three nodes, in the parent process");
        }
        else
        {
            _current = await BenchmarkInfrastructure.StartClusterAsync(log, cancellationToken).ConfigureAwait(false);
        }

        return _current;
    }

    /// <summary>The node leading a quorum queue of the running cluster, or null where no one can tell.</summary>
    public async Task<string?> QueueLeaderAsync(string queue, CancellationToken cancellationToken)
    {
        if (_current is null)
        {
            return null;
        }

        if (_parent is null)
        {
            return await _current.QueueLeaderAsync(queue, cancellationToken).ConfigureAwait(false);
        }

        var leader = (await _parent.AskAsync(cancellationToken, ClusterPipe.Leader, queue).ConfigureAwait(false))[0];
        return leader.Length > 0 ? leader : null;
    }

    /// <summary>Stops the cluster (nothing for given nodes); the next <see cref="StartAsync"/> starts a fresh one.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_current is not { } current)
        {
            return;
        }

        _current = null;
        if (_parent is not null)
        {
            await _parent.AskAsync(cancellationToken, ClusterPipe.Stop).ConfigureAwait(false);
        }
        else
        {
            // Disposing given servers does nothing; an AppHost of this process stops its nodes.
            await current.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        if (_parent is not null)
        {
            await _parent.DisposeAsync().ConfigureAwait(false);
        }
    }
}
