using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Execution;
using Onboarding.TaskEngine.Monitoring;
using Onboarding.TaskEngine.Publishing;
using Onboarding.TaskEngine.Retry;
using Onboarding.TaskEngine.Routing;
using Onboarding.TaskEngine.Workflows;

namespace Onboarding.Tests.TaskEngine.InMemory;

/// <summary>
/// The engine's real client, executor and workflow runtime on the in-memory transport and a fake clock: a worker
/// without a broker, whose every step (receive, execute, settle) the test drives, for fast tests of the executor's
/// decisions. Nothing here runs on its own: time moves only when the test advances <see cref="Clock"/>.
/// </summary>
internal sealed class InMemoryEngine : IAsyncDisposable
{
    public const string Queue = "default";

    private readonly ServiceProvider _services;
    private readonly CancellationTokenSource _abort = new();

    private InMemoryEngine(TaskRegistry registry, IServiceCollection services)
    {
        var options = Options.Create(new TaskEngineOptions { DefaultQueue = Queue });
        services.AddSingleton(Probe);
        _services = services.BuildServiceProvider();
        Broker = new InMemoryBroker(Clock);
        Backend = new InMemoryResultBackend(Clock);
        Store = new InMemoryWorkflowStore();
        var events = new TaskEvents(new EventDispatcher(new InMemoryEventTransport(), Clock, NullLogger<EventDispatcher>.Instance));
        var messages = new TaskMessageFactory(new TaskRouter([], Queue), registry, options, events, Clock);
        Publisher = new WorkflowPublisher(Broker, Store, messages, Clock);
        var chords = new ChordCounter(Publisher, Store, Backend, Clock, NullLogger<ChordCounter>.Instance);
        var workflow = new WorkflowCoordinator(Publisher, chords, Backend, NullLogger<WorkflowCoordinator>.Instance);
        Client = new TaskClient(Broker, Backend, messages);
        Executor = new TaskExecutor(
            registry, Broker, Backend, Running, workflow, new RevocationCache(Backend, Clock),
            new ResultStoreRetry(Backend, options, Clock, NullLogger<ResultStoreRetry>.Instance), new WorkerState(Clock), events,
            _services.GetRequiredService<IServiceScopeFactory>(), options, Clock, NullLogger<TaskExecutor>.Instance);
    }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));

    public InMemoryBroker Broker { get; }

    public InMemoryResultBackend Backend { get; }

    public InMemoryWorkflowStore Store { get; }

    public WorkflowPublisher Publisher { get; }

    public TaskClient Client { get; }

    public TaskExecutor Executor { get; }

    public RunningTasks Running { get; } = new();

    /// <summary>What the handlers saw, shared with them through DI.</summary>
    public HandlerProbe Probe { get; } = new();

    /// <summary>An engine whose worker runs the tasks <paramref name="register"/> adds.</summary>
    public static InMemoryEngine Create(Action<Registrations> register)
    {
        var registrations = new Registrations();
        register(registrations);
        return new InMemoryEngine(registrations.Registry, registrations.Services);
    }

    /// <summary>Takes the next due message of the queue, runs it through the executor and settles it as a consumer does.</summary>
    public async Task<Execution> RunNextAsync()
    {
        Assert.True(Broker.TryReceive(Queue, out var delivery), "No message is due in the queue.");
        return await RunAsync(delivery);
    }

    /// <summary>Starts running a delivery without waiting for it (for tests that act while the handler runs).</summary>
    public Task<Execution> StartNextAsync()
    {
        Assert.True(Broker.TryReceive(Queue, out var delivery), "No message is due in the queue.");
        return Task.Run(() => RunAsync(delivery));
    }

    public async Task<Execution> RunAsync(TaskDelivery delivery)
    {
        var ackedEarly = false;
        var outcome = await Executor.ExecuteAsync(delivery, () =>
        {
            ackedEarly = true;
            Probe.AckedEarly = true;
            Broker.Settle(delivery, requeue: false);
            return Task.CompletedTask;
        }, _abort.Token);
        if (outcome == DeliveryOutcome.AckNow)
        {
            Broker.Settle(delivery, requeue: false);
        }
        else if (outcome == DeliveryOutcome.Requeue)
        {
            Broker.Settle(delivery, requeue: true);
        }

        return new Execution(delivery, outcome, ackedEarly);
    }

    /// <summary>Runs every message due now, and those they send, until none is left; returns how many ran.</summary>
    public async Task<int> RunAllDueAsync()
    {
        var runs = 0;
        while (Broker.TryReceive(Queue, out var delivery))
        {
            await RunAsync(delivery);
            runs++;
        }

        return runs;
    }

    public async ValueTask DisposeAsync()
    {
        await _abort.CancelAsync();
        _abort.Dispose();
        await _services.DisposeAsync();
    }

    /// <summary>The tasks the engine's worker knows.</summary>
    internal sealed class Registrations
    {
        public TaskRegistry Registry { get; } = new();

        public ServiceCollection Services { get; } = new();

        public Registrations Add<TArgs, THandler>(string name, Action<TaskOptions>? configure = null)
            where THandler : class, ITaskHandler<TArgs>
        {
            var options = new TaskOptions();
            configure?.Invoke(options);
            Registry.Add(TaskRegistration.Create<TArgs, THandler>(name, options));
            Services.AddScoped<THandler>();
            return this;
        }
    }
}

/// <summary>One delivery's run: what the executor decided and whether the delivery was acked before the handler ran.</summary>
internal sealed record Execution(TaskDelivery Delivery, DeliveryOutcome Outcome, bool AckedEarly);

/// <summary>What handlers report to the test: that they started, how often they ran, whether their delivery was acked then.</summary>
internal sealed class HandlerProbe
{
    private int _runs;

    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Runs => Volatile.Read(ref _runs);

    public bool AckedEarly { get; set; }

    public bool? AckedBeforeRun { get; private set; }

    public List<string> Seen { get; } = [];

    public void Ran(string what)
    {
        Interlocked.Increment(ref _runs);
        lock (Seen)
        {
            Seen.Add(what);
        }

        AckedBeforeRun ??= AckedEarly;
        Started.TrySetResult();
    }
}
