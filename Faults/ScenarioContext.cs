using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Onboarding.Benchmarks;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Topology;
using RabbitMQ.Client;

namespace Onboarding.Faults;

/// <summary>What a scenario's workers consume and where they write.</summary>
internal sealed record ScenarioSetup(string Queues, int Concurrency, string DeadLetterQueue, string ExecutionLog, QueueType QueueType);

/// <summary>A message found in a scenario's dead-letter queue.</summary>
internal sealed record DeadLetter(string? TaskId, string? MessageId, string? Reason);

/// <summary>
/// One scenario's queue, dead-letter queue, execution log and worker processes, plus an in-process engine client on
/// the same servers (for chords, queue counts and raw publishes). Disposal kills its workers and deletes its queues.
/// </summary>
internal sealed class ScenarioContext : IAsyncDisposable
{
    private readonly List<FaultWorker> _workers = [];
    private int _workerCount;

    private ScenarioContext(string name, FaultServers servers, FaultOptions options, TextWriter log, EngineHost driver, string directory, int concurrency)
    {
        Name = name;
        Servers = servers;
        Options = options;
        Log = log;
        Driver = driver;
        Directory = directory;
        Setup = new ScenarioSetup(driver.Queue, concurrency, DeadLetterQueueOf(driver.Queue), Path.Combine(directory, "executions"), servers.QueueType);
    }

    public string Name { get; }

    public FaultServers Servers { get; }

    public FaultOptions Options { get; }

    public TextWriter Log { get; }

    public EngineHost Driver { get; }

    public string Queue => Driver.Queue;

    public ScenarioSetup Setup { get; private set; }

    /// <summary>Where the workers' consoles and execution logs go.</summary>
    public string Directory { get; }

    public IConnection Connection => Driver.Connection;

    public int WorkerExits => _workers.Count(w => w.ExitedByItself);

    public static async Task<ScenarioContext> StartAsync(
        string name, FaultServers servers, FaultOptions options, TextWriter log, string runDirectory, int concurrency, CancellationToken cancellationToken)
    {
        var queue = "faults." + name + "." + Guid.CreateVersion7().ToString("N")[^8..];
        var directory = Path.Combine(runDirectory, name);
        System.IO.Directory.CreateDirectory(directory);
        var driver = await EngineHost.StartAsync(
                servers.Infrastructure, queue, worker: false, concurrency, cancellationToken, queueType: servers.QueueType, deadLetterQueue: DeadLetterQueueOf(queue))
            .ConfigureAwait(false);
        return new ScenarioContext(name, servers, options, log, driver, directory, concurrency);
    }

    private static string DeadLetterQueueOf(string queue) => queue + ".dead";

    /// <summary>Also consume <paramref name="queue"/> (e.g. a chord body's) in workers started from now on.</summary>
    public void AddQueue(string queue) => Setup = Setup with { Queues = Setup.Queues + "," + queue };

    public FaultWorker StartWorker()
    {
        var number = Interlocked.Increment(ref _workerCount);
        var worker = FaultWorker.Start(Servers, Setup, Path.Combine(Directory, $"worker-{number}.log"));
        _workers.Add(worker);
        return worker;
    }

    public async Task WriteAsync(string message) =>
        await Log.WriteLineAsync($"  {Name}: {message}").ConfigureAwait(false);

    /// <summary>New task ids, as Celery makes them.</summary>
    public static IReadOnlyList<string> NewIds(int count) => [.. Enumerable.Range(0, count).Select(_ => Guid.NewGuid().ToString())];

    /// <summary>
    /// Sends one task per id from a Python Celery 5.2 client (Debian's python3-celery), to this scenario's queue; the
    /// returned task completes when every message is published.
    /// </summary>
    public async Task SendFromPythonAsync(IReadOnlyList<string> ids, string task, string argsJson, double? countdown, CancellationToken cancellationToken)
    {
        var idsFile = Path.Combine(Directory, $"ids-{Guid.NewGuid():N}.txt");
        await File.WriteAllLinesAsync(idsFile, ids, cancellationToken).ConfigureAwait(false);
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        string[] arguments = [Path.Combine(AppContext.BaseDirectory, "python", "faults_sender.py"), Servers.RabbitMqConnectionString, Queue, task, argsJson, idsFile];
        if (Servers.QueueType == QueueType.Quorum)
        {
            // Quorum queues run on a cluster here, whose node loss the sender must survive without losing a send.
            arguments = [.. arguments, "--existing-queue", "--confirm"];
        }

        foreach (var argument in countdown is { } seconds ? [.. arguments, "--countdown", seconds.ToString(CultureInfo.InvariantCulture)] : arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromMinutes(5), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"The Python sender failed ({process.ExitCode}): {await error.ConfigureAwait(false)}");
        }

        using var sent = JsonDocument.Parse(await output.ConfigureAwait(false));
        if (sent.RootElement.GetProperty("sent").GetInt32() != ids.Count)
        {
            throw new InvalidOperationException("The Python sender did not send every task.");
        }
    }

    /// <summary>
    /// Waits until <paramref name="worker"/> has finished a task (its execution log exists) and returns how long that
    /// took from <paramref name="since"/>; null after two minutes.
    /// </summary>
    public async Task<TimeSpan?> WaitForFirstExecutionAsync(FaultWorker worker, System.Diagnostics.Stopwatch since, CancellationToken cancellationToken)
    {
        while (!HasExecuted(worker))
        {
            if (since.Elapsed > TimeSpan.FromMinutes(2) || worker.ExitedByItself)
            {
                return null;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        return since.Elapsed;
    }

    /// <summary>Whether this worker process has finished at least one recorded task.</summary>
    public bool HasExecuted(FaultWorker worker) => File.Exists($"{Setup.ExecutionLog}.{worker.Id}");

    /// <summary>How many times each task id's handler finished, from every worker process's execution log.</summary>
    public IReadOnlyDictionary<string, int> Executions()
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "executions.*"))
        {
            foreach (var line in File.ReadLines(file))
            {
                if (line.Length > 0)
                {
                    counts[line] = counts.GetValueOrDefault(line) + 1;
                }
            }
        }

        return counts;
    }

    public async Task<uint> ReadyCountAsync(string? queue = null, CancellationToken cancellationToken = default)
    {
        await using var channel = await Connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        return (await channel.QueueDeclarePassiveAsync(queue ?? Queue, cancellationToken).ConfigureAwait(false)).MessageCount;
    }

    public async Task<uint> ConsumerCountAsync(CancellationToken cancellationToken)
    {
        await using var channel = await Connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        return (await channel.QueueDeclarePassiveAsync(Queue, cancellationToken).ConfigureAwait(false)).ConsumerCount;
    }

    /// <summary>Waits until the scenario's queue has this many consumers; returns how long that took.</summary>
    public async Task<TimeSpan> WaitForConsumersAsync(int count, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var elapsed = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await ConsumerCountAsync(cancellationToken).ConfigureAwait(false) >= count)
                {
                    return elapsed.Elapsed;
                }
            }
            catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.RabbitMQClientException or RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                // The broker is coming back; the driver's connection recovers by itself.
            }

            if (elapsed.Elapsed > (timeout ?? TimeSpan.FromMinutes(2)))
            {
                throw new TimeoutException($"{Name}: {count} consumers did not appear on {Queue}.");
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Takes every message out of the scenario's dead-letter queue, on a connection of its own: a <c>too-large</c>
    /// dead letter is over the engine's message size limit, which closes the engine client's connection.
    /// </summary>
    public async Task<IReadOnlyList<DeadLetter>> DrainDeadLettersAsync(CancellationToken cancellationToken)
    {
        var letters = new List<DeadLetter>();
        var nodes = BrokerUris.Nodes(Servers.RabbitMqConnectionString);
        var factory = new ConnectionFactory
        {
            Uri = nodes[0],
            MaxInboundMessageBodySize = 512 * 1024 * 1024,
        };
        // Any node of a cluster that is up.
        await using var connection = await factory.CreateConnectionAsync(
            nodes.Select(node => new AmqpTcpEndpoint(node)).ToList(), "faults-dead-letters", cancellationToken).ConfigureAwait(false);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await channel.QueueDeclarePassiveAsync(Setup.DeadLetterQueue, cancellationToken).ConfigureAwait(false);
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return letters;   // never declared: nothing was dead-lettered
        }

        while (await channel.BasicGetAsync(Setup.DeadLetterQueue, autoAck: true, cancellationToken).ConfigureAwait(false) is { } message)
        {
            var headers = message.BasicProperties.Headers;
            letters.Add(new DeadLetter(
                HeaderText(headers, "id") ?? message.BasicProperties.CorrelationId,
                message.BasicProperties.MessageId,
                HeaderText(headers, "x-death-reason")));
        }

        return letters;
    }

    private static string? HeaderText(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value)
            ? value switch
            {
                byte[] bytes => Encoding.UTF8.GetString(bytes),
                null => null,
                _ => Convert.ToString(value, CultureInfo.InvariantCulture),
            }
            : null;

    /// <summary>
    /// The row for tasks that all should succeed: waits until they settle, then counts their outcomes from the stored
    /// results, the dead-letter queue and the execution log.
    /// </summary>
    public async Task<FaultOutcome> CountAsync(
        IReadOnlyList<string> ids, ResultMonitor monitor, TimeSpan? timeToRecover, string notes, CancellationToken cancellationToken)
    {
        await monitor.WaitUntilSettledAsync(
            stall: Options.Pick(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(30)), cap: TimeSpan.FromMinutes(10), () => 0, cancellationToken)
            .ConfigureAwait(false);
        var results = monitor.Results;
        var deadLetters = await DrainDeadLettersAsync(cancellationToken).ConfigureAwait(false);
        var deadIds = deadLetters.Select(d => d.TaskId).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var executions = Executions();
        var failures = results.Values.Where(r => r.Status != "SUCCESS").ToList();
        var lostIds = ids.Where(id => !results.ContainsKey(id) && !deadIds.Contains(id)).ToList();
        var lost = lostIds.Count;
        var failureTypes = failures.GroupBy(f => $"{f.Status} {f.ExceptionType}").Select(g => $"{g.Count()}× {g.Key}");
        var deadReasons = deadLetters.GroupBy(d => d.Reason ?? "no reason").Select(g => $"{g.Count()}× {g.Key}");
        var extra = new List<string>();
        if (failures.Count > 0)
        {
            extra.Add("failures: " + string.Join(", ", failureTypes));
        }

        if (deadLetters.Count > 0)
        {
            extra.Add("dead-lettered: " + string.Join(", ", deadReasons));
        }

        if (lost > 0)
        {
            // Where a lost task is tells its cause apart: still ready in the queue (the workers stopped taking it), or
            // not (held unacknowledged by a worker that never ran it, or never published).
            extra.Add($"lost: {string.Join(", ", lostIds.Take(5))}; "
                + $"{await ReadyCountAsync(cancellationToken: cancellationToken).ConfigureAwait(false)} ready in {Queue}, "
                + $"{await ConsumerCountAsync(cancellationToken).ConfigureAwait(false)} consumer(s)");
        }

        var outcome = new FaultOutcome
        {
            Scenario = Name,
            Sent = ids.Count,
            Succeeded = results.Values.Count(r => r.Status == "SUCCESS"),
            Lost = lost,
            RunTwice = ids.Count(id => executions.GetValueOrDefault(id) > 1),
            WronglyFailed = failures.Count,
            DeadLettered = deadLetters.Count,
            TimeToRecover = timeToRecover,
            WorkerExits = WorkerExits,
            Notes = string.Join("; ", new[] { notes }.Concat(extra).Where(n => n.Length > 0)),
        };
        await WriteAsync($"{outcome.Succeeded}/{outcome.Sent} succeeded, {outcome.Lost} lost, {outcome.RunTwice} run twice, {outcome.WronglyFailed} wrongly FAILURE, {outcome.DeadLettered} dead-lettered").ConfigureAwait(false);
        return outcome;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            await using var channel = await Connection.CreateChannelAsync().ConfigureAwait(false);
            foreach (var queue in Setup.Queues.Split(',').Skip(1).Append(Setup.DeadLetterQueue))
            {
                await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false).ConfigureAwait(false);
            }
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
        }

        try
        {
            await Driver.DisposeAsync().ConfigureAwait(false);
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            // The client's connection is still recovering from a broker restart: its queue stays on the private
            // broker, which goes with the run. The scenario's row is what matters.
        }
    }
}
