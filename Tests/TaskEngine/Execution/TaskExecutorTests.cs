using System.Text;
using System.Text.Json;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Execution;
using Onboarding.Tests.TaskEngine.InMemory;

namespace Onboarding.Tests.TaskEngine.Execution;

/// <summary>
/// The executor's decisions on the in-memory transport with a fake clock: no broker, no Redis, no waiting on real
/// time. The same behaviours are tested against the real servers in <c>Integration/</c> and <c>Workflows/</c>.
/// </summary>
public sealed class TaskExecutorTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ExecuteAsync_StoresSuccessAndAcksAfterIt_WhenTheHandlerReturns()
    {
        await using var engine = InMemoryEngine.Create(tasks => tasks.Add<AddArgs, AddHandler>("tests.add"));
        var result = await engine.Client.SendAsync("tests.add", new AddArgs(2, 3), cancellationToken: Token);

        var run = await engine.RunNextAsync();

        Assert.Equal(DeliveryOutcome.AckNow, run.Outcome);
        Assert.False(run.AckedEarly);
        Assert.False(engine.Probe.AckedBeforeRun);
        Assert.Equal(5, await result.GetAsync<int>(TimeSpan.FromSeconds(1), Token));
        Assert.Equal("acked", engine.Broker.Settled[run.Delivery.DeliveryTag]);
    }

    [Fact]
    public async Task ExecuteAsync_AcksBeforeTheHandlerRuns_WhenTheTaskIsAcksEarly()
    {
        await using var engine = InMemoryEngine.Create(tasks => tasks.Add<AddArgs, AddHandler>("tests.add", o => o.AcksLate = false));
        var result = await engine.Client.SendAsync("tests.add", new AddArgs(1, 1), cancellationToken: Token);

        var run = await engine.RunNextAsync();

        Assert.Equal(DeliveryOutcome.AlreadyAcked, run.Outcome);
        Assert.True(engine.Probe.AckedBeforeRun);
        Assert.Equal(2, await result.GetAsync<int>(TimeSpan.FromSeconds(1), Token));
    }

    [Fact]
    public async Task ExecuteAsync_RepublishesTheSameIdAfterItsCountdown_WhenTheHandlerAsksForARetry()
    {
        await using var engine = InMemoryEngine.Create(tasks => tasks.Add<NoArgs, RetryOnceHandler>("tests.retry_once"));
        var result = await engine.Client.SendAsync("tests.retry_once", new NoArgs(), cancellationToken: Token);
        var sentAt = engine.Clock.GetUtcNow();

        var first = await engine.RunNextAsync();

        Assert.Equal(DeliveryOutcome.AckNow, first.Outcome);
        Assert.Equal(TaskState.Retry, engine.Backend.Stored(result.Id)?.State);
        var retry = engine.Broker.Published[^1].Message;
        Assert.Equal(result.Id, retry.Id);
        Assert.Equal(1, retry.Retries);
        Assert.Equal(sentAt + RetryOnceHandler.Countdown, retry.Eta);
        Assert.False(engine.Broker.TryReceive(InMemoryEngine.Queue, out _));

        engine.Clock.Advance(RetryOnceHandler.Countdown);
        var second = await engine.RunNextAsync();

        Assert.Equal(DeliveryOutcome.AckNow, second.Outcome);
        Assert.Equal("done", await result.GetAsync<string>(TimeSpan.FromSeconds(1), Token));
        Assert.Equal(["retry-once #0", "retry-once #1"], engine.Probe.Seen);
    }

    [Fact]
    public async Task ExecuteAsync_BacksOffExponentiallyThenFailsAndDeadLetters_WhenRetriesRunOut()
    {
        await using var engine = InMemoryEngine.Create(tasks => tasks.Add<NoArgs, FlakyHandler>("tests.flaky", o =>
        {
            o.RetryOnException<InvalidOperationException>();
            o.MaxRetries = 3;
            o.RetryBackoff = TimeSpan.FromSeconds(2);
            o.RetryBackoffMax = TimeSpan.FromSeconds(5);
            o.RetryJitter = false;
        }));
        var result = await engine.Client.SendAsync("tests.flaky", new NoArgs(), cancellationToken: Token);

        var delays = new List<TimeSpan>();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var ranAt = engine.Clock.GetUtcNow();
            await engine.RunNextAsync();
            var retry = engine.Broker.Published[^1].Message;
            Assert.Equal(attempt + 1, retry.Retries);
            delays.Add(retry.Eta!.Value - ranAt);
            Assert.Empty(engine.Broker.DeadLetters);
            engine.Clock.Advance(delays[^1]);
        }

        var last = await engine.RunNextAsync();

        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5)], delays);
        Assert.Equal(DeliveryOutcome.AckNow, last.Outcome);
        Assert.Equal(4, engine.Probe.Runs);
        Assert.Equal(4, engine.Broker.Published.Count);
        var failure = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(TimeSpan.FromSeconds(1), Token));
        Assert.Equal(TaskState.Failure, failure.State);
        var letter = Assert.Single(engine.Broker.DeadLetters);
        Assert.Equal("retries-exhausted", letter.Reason);
        Assert.Contains("The service is down.", letter.Exception);
    }

    [Fact]
    public async Task ExecuteAsync_StoresFailureWithoutRetryOrDeadLetter_WhenTheExceptionIsNotRetried()
    {
        await using var engine = InMemoryEngine.Create(tasks => tasks.Add<NoArgs, FlakyHandler>("tests.flaky"));
        var result = await engine.Client.SendAsync("tests.flaky", new NoArgs(), cancellationToken: Token);

        var run = await engine.RunNextAsync();

        Assert.Equal(DeliveryOutcome.AckNow, run.Outcome);
        var failure = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(TimeSpan.FromSeconds(1), Token));
        Assert.Equal("InvalidOperationException", failure.Exception?.Type);
        Assert.Single(engine.Broker.Published);
        Assert.Empty(engine.Broker.DeadLetters);
    }

    [Fact]
    public async Task ExecuteAsync_DeadLettersAndStoresInvalidTaskError_WhenTheBodyIsNotJson()
    {
        await using var engine = InMemoryEngine.Create(tasks => tasks.Add<AddArgs, AddHandler>("tests.add"));
        engine.Broker.PublishRaw(InMemoryEngine.Queue, Encoding.UTF8.GetBytes("not json"),
            new Dictionary<string, object?> { ["id"] = "bad-1", ["task"] = "tests.add", ["lang"] = "py" });

        var run = await engine.RunNextAsync();

        Assert.Equal(DeliveryOutcome.AckNow, run.Outcome);
        Assert.Equal(0, engine.Probe.Runs);
        var letter = Assert.Single(engine.Broker.DeadLetters);
        Assert.Equal("body", letter.Reason);
        Assert.Equal("not json", Encoding.UTF8.GetString(letter.Body.Span));
        var stored = engine.Backend.Stored("bad-1");
        Assert.Equal(TaskState.Failure, stored?.State);
        Assert.Equal("InvalidTaskError", stored?.Exception?.Type);
    }

    [Fact]
    public async Task ExecuteAsync_DeadLettersAndStoresNotRegistered_WhenNoHandlerHasTheName()
    {
        await using var engine = InMemoryEngine.Create(tasks => tasks.Add<AddArgs, AddHandler>("tests.add"));
        var result = await engine.Client.SendAsync("tests.unknown", new AddArgs(1, 2), cancellationToken: Token);

        await engine.RunNextAsync();

        Assert.Equal("not-registered", Assert.Single(engine.Broker.DeadLetters).Reason);
        var failure = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(TimeSpan.FromSeconds(1), Token));
        Assert.Equal("NotRegistered", failure.Exception?.Type);
    }

    [Theory]
    [InlineData(19)]
    [InlineData(20)]
    public async Task ExecuteAsync_FailsAndDeadLettersWithoutRunning_OnlyAtTheLastDeliveryTheQuorumQueueAllows(long returnedBefore)
    {
        await using var engine = InMemoryEngine.Create(tasks => tasks.Add<AddArgs, AddHandler>("tests.add"));
        var result = await engine.Client.SendAsync("tests.add", new AddArgs(1, 2), cancellationToken: Token);
        Assert.True(engine.Broker.TryReceive(InMemoryEngine.Queue, out var delivery));

        // After 20 returns (the default TaskEngine:DeliveryLimit) one more would make the broker drop it unseen; after 19
        // the broker would still deliver it again.
        var run = await engine.RunAsync(delivery with { Redelivered = true, DeliveryCount = returnedBefore });

        Assert.Equal(DeliveryOutcome.AckNow, run.Outcome);
        if (returnedBefore < 20)
        {
            Assert.Empty(engine.Broker.DeadLetters);
            Assert.Equal(3, await result.GetAsync<int>(TimeSpan.FromSeconds(1), Token));
            return;
        }

        Assert.Equal(0, engine.Probe.Runs);
        Assert.Equal(TaskExecutor.DeliveryLimitReason, Assert.Single(engine.Broker.DeadLetters).Reason);
        var failure = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(TimeSpan.FromSeconds(1), Token));
        Assert.Equal((TaskState.Failure, "DeliveryLimitExceeded"), (failure.State, failure.Exception?.Type));
        Assert.Contains("Delivered 21 times", failure.ExcMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_StoresRevokedWithoutRunning_WhenTheTaskWasRevokedBeforeItArrived()
    {
        await using var engine = InMemoryEngine.Create(tasks => tasks.Add<AddArgs, AddHandler>("tests.add"));
        var result = await engine.Client.SendAsync("tests.add", new AddArgs(1, 2), cancellationToken: Token);
        await engine.Client.RevokeAsync(result.Id, Token);

        var run = await engine.RunNextAsync();

        Assert.Equal(DeliveryOutcome.AckNow, run.Outcome);
        Assert.Equal(0, engine.Probe.Runs);
        var failure = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(TimeSpan.FromSeconds(1), Token));
        Assert.Equal(TaskState.Revoked, failure.State);
    }

    [Fact]
    public async Task ExecuteAsync_StoresRevokedExpired_WhenTheMessageExpiredBeforeItRan()
    {
        await using var engine = InMemoryEngine.Create(tasks => tasks.Add<AddArgs, AddHandler>("tests.add"));
        var result = await engine.Client.SendAsync("tests.add", new AddArgs(1, 2),
            new TaskSendOptions { ExpiresIn = TimeSpan.FromMinutes(1) }, Token);
        engine.Clock.Advance(TimeSpan.FromMinutes(2));

        await engine.RunNextAsync();

        Assert.Equal(0, engine.Probe.Runs);
        var failure = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(TimeSpan.FromSeconds(1), Token));
        Assert.Equal(TaskState.Revoked, failure.State);
        Assert.Contains("expired", failure.ExcMessage);
    }

    [Fact]
    public async Task ExecuteAsync_CancelsTheHandlerAndStoresRevokedTerminated_WhenRevokedWhileRunning()
    {
        await using var engine = InMemoryEngine.Create(tasks => tasks.Add<NoArgs, BlockingHandler>("tests.blocking"));
        var result = await engine.Client.SendAsync("tests.blocking", new NoArgs(), cancellationToken: Token);
        var running = engine.StartNextAsync();
        await engine.Probe.Started.Task.WaitAsync(Token);

        engine.Running.Revoke(result.Id);
        var run = await running.WaitAsync(Token);

        Assert.Equal(DeliveryOutcome.AckNow, run.Outcome);
        var failure = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(TimeSpan.FromSeconds(1), Token));
        Assert.Equal(TaskState.Revoked, failure.State);
        Assert.Contains("terminated", failure.ExcMessage);
    }

    [Fact]
    public async Task ExecuteAsync_StoresTimeLimitExceeded_WhenTheHardLimitPasses()
    {
        await using var engine = InMemoryEngine.Create(tasks => tasks.Add<NoArgs, BlockingHandler>("tests.blocking", o => o.TimeLimit = TimeSpan.FromSeconds(10)));
        var result = await engine.Client.SendAsync("tests.blocking", new NoArgs(), cancellationToken: Token);
        var running = engine.StartNextAsync();
        await engine.Probe.Started.Task.WaitAsync(Token);

        engine.Clock.Advance(TimeSpan.FromSeconds(10));
        var run = await running.WaitAsync(Token);

        Assert.Equal(DeliveryOutcome.AckNow, run.Outcome);
        var failure = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(TimeSpan.FromSeconds(1), Token));
        Assert.Equal("TimeLimitExceeded", failure.Exception?.Type);
        Assert.Equal("billiard.exceptions", failure.Exception?.Module);
    }

    [Fact]
    public async Task ExecuteAsync_StoresSoftTimeLimitExceeded_WhenTheSoftLimitCancelsTheHandler()
    {
        await using var engine = InMemoryEngine.Create(tasks => tasks.Add<NoArgs, BlockingHandler>("tests.blocking", o => o.SoftTimeLimit = TimeSpan.FromSeconds(5)));
        var result = await engine.Client.SendAsync("tests.blocking", new NoArgs(), cancellationToken: Token);
        var running = engine.StartNextAsync();
        await engine.Probe.Started.Task.WaitAsync(Token);

        engine.Clock.Advance(TimeSpan.FromSeconds(5));
        await running.WaitAsync(Token);

        var failure = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(TimeSpan.FromSeconds(1), Token));
        Assert.Equal("SoftTimeLimitExceeded", failure.Exception?.Type);
    }

    [Fact]
    public async Task ExecuteAsync_SendsTheMessageBackToTheBrokerUntilItIsDue_WhenItArrivesBeforeItsEta()
    {
        await using var engine = InMemoryEngine.Create(tasks => tasks.Add<AddArgs, AddHandler>("tests.add"));
        // As a Python client sends an ETA message: straight to the queue, so it arrives early.
        engine.Broker.HoldsEtaMessages = false;
        var result = await engine.Client.SendAsync("tests.add", new AddArgs(1, 2),
            new TaskSendOptions { Countdown = TimeSpan.FromMinutes(5) }, Token);
        engine.Broker.HoldsEtaMessages = true;

        var early = await engine.RunNextAsync();

        Assert.Equal(DeliveryOutcome.AckNow, early.Outcome);
        Assert.Equal(0, engine.Probe.Runs);
        Assert.Equal(1, engine.Broker.Count(InMemoryEngine.Queue));
        Assert.False(engine.Broker.TryReceive(InMemoryEngine.Queue, out _));

        engine.Clock.Advance(TimeSpan.FromMinutes(5));
        await engine.RunNextAsync();

        Assert.Equal(3, await result.GetAsync<int>(TimeSpan.FromSeconds(1), Token));
    }

    [Fact]
    public async Task ExecuteAsync_SendsTheChordBodyOnceWithTheOrderedResults_WhenTheLastPartReturns()
    {
        await using var engine = InMemoryEngine.Create(tasks => tasks
            .Add<AddArgs, AddHandler>("tests.add")
            .Add<SumArgs, SumHandler>("tests.sum"));
        var chord = Chord.Of([Signature.Create("tests.add", 1, 2), Signature.Create("tests.add", 3, 4)], Signature.Create("tests.sum"));
        var plan = new CanvasPlanner().Plan(chord);
        await engine.Publisher.PublishAsync(plan, plan.Messages[0].TaskId, null, Token);

        // The second part first: the body waits for the count, not for the order.
        Assert.True(engine.Broker.TryReceive(InMemoryEngine.Queue, out var first));
        Assert.True(engine.Broker.TryReceive(InMemoryEngine.Queue, out var second));
        await engine.RunAsync(second);
        Assert.DoesNotContain(engine.Broker.Published, published => published.Message.Name == "tests.sum");
        await engine.RunAsync(first);
        // A redelivered part (its worker died before the ack) counts once and sends no second body.
        await engine.RunAsync(first with { Redelivered = true });
        await engine.RunAllDueAsync();

        Assert.Single(engine.Broker.Published, published => published.Message.Name == "tests.sum");
        Assert.Equal(["add(3, 4)", "add(1, 2)", "sum([3, 7])"], engine.Probe.Seen);
        Assert.Equal(10, JsonSerializer.Deserialize<int>(engine.Backend.Stored(plan.Result!.Id)!.Result));
    }
}
