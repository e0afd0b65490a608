using System.Text.Json;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.Interop;

namespace Onboarding.Tests.Operations;

/// <summary>
/// A mixed fleet on the test broker: one real Celery 5.2 worker (Debian's) and one of our <c>Workers</c> processes,
/// each with its own node name and queue, both sending events, operated with Debian's <c>celery</c> command line.
/// Our worker runs one task at a time, so a second task waits reserved while the first runs.
/// </summary>
public sealed class CeleryFleetFixture(BrokerFixture broker) : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private PythonCeleryWorker? _python;
    private WorkerProcess? _dotnet;

    public BrokerFixture Broker => broker;

    public string PythonNode => $"py-{_suffix}@localhost";

    /// <summary>Our node's name as Celery's <c>-n dotnet-…@%n</c> expands it: %n is the first label of the host name.</summary>
    public string DotNetNode => $"dotnet-{_suffix}@{System.Net.Dns.GetHostName().Split('.')[0]}";

    public string PythonQueue => $"fleet.{_suffix}.py";

    public string DotNetQueue => $"fleet.{_suffix}.dotnet";

    public Dictionary<string, string> Environment => PythonCelery.Environment(broker.RabbitMqConnectionString, broker.RedisConnectionString);

    public async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        // Celery's own worker options: the node name from a %-template, and -E for task events.
        _dotnet = WorkerProcess.Start(broker, DotNetQueue, 1, "-n", $"dotnet-{_suffix}@%n", "-E");
        _python = await PythonCeleryWorker.StartAsync(Environment, PythonQueue, cancellationToken, PythonNode, events: true);
        // Both nodes answer before any test runs (our worker listens once it consumes).
        await Eventually.UntilAsync(async () =>
        {
            var ping = await CeleryAsync(cancellationToken, "inspect", "ping", "-d", $"{PythonNode},{DotNetNode}", "--json");
            return ping.ExitCode == 0 && ping.Output.Contains(PythonNode, StringComparison.Ordinal) && ping.Output.Contains(DotNetNode, StringComparison.Ordinal);
        }, StartTimeout, cancellationToken, TimeSpan.FromMilliseconds(500));
    }

    /// <summary>Runs <c>celery -A interop_app &lt;arguments&gt;</c> against the fleet's broker.</summary>
    public Task<CeleryCommandResult> CeleryAsync(CancellationToken cancellationToken, params string[] arguments) =>
        PythonCelery.RunCeleryAsync(Environment, cancellationToken, arguments);

    /// <summary>Sends a task from Python to our worker's queue without waiting; returns its id.</summary>
    public async Task<string> SendToDotNetAsync(string task, string argsJson, CancellationToken cancellationToken, string? queue = null)
    {
        var sent = await PythonCelery.RunScriptAsync(
            Environment, "send_task.py", cancellationToken, task, argsJson, "--queue", queue ?? DotNetQueue, "--no-wait");
        return sent.GetProperty("id").GetString() ?? throw new InvalidOperationException("send_task.py printed no id.");
    }

    /// <summary>The state stored for a task, as Python's <c>AsyncResult</c> reads it.</summary>
    public async Task<JsonElement> ResultAsync(string taskId, CancellationToken cancellationToken) =>
        await PythonCelery.RunScriptAsync(Environment, "result_of.py", cancellationToken, taskId);

    /// <summary>Waits until the task's stored state is <paramref name="state"/> and returns the stored outcome.</summary>
    public async Task<JsonElement> WaitForStateAsync(string taskId, string state, CancellationToken cancellationToken)
    {
        JsonElement outcome = default;
        await Eventually.UntilAsync(async () =>
        {
            outcome = await ResultAsync(taskId, cancellationToken);
            return outcome.GetProperty("status").GetString() == state;
        }, TimeSpan.FromSeconds(60), cancellationToken, TimeSpan.FromMilliseconds(300));
        return outcome;
    }

    public async ValueTask DisposeAsync()
    {
        if (_python is not null)
        {
            await _python.DisposeAsync();
        }

        if (_dotnet is not null)
        {
            await _dotnet.DisposeAsync();
        }
    }
}
