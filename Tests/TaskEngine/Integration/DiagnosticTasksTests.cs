using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Workflows;
using Onboarding.Tests.Infrastructure;
using RabbitMQ.Client;

namespace Onboarding.Tests.TaskEngine.Integration;

/// <summary>
/// The diagnostics tasks as a Python Celery client sees them on the real broker and Redis: the stored JSON text of
/// their results, the errors of calls that do not fit, and messages that carry their id only in correlation_id.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class DiagnosticTasksTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static async Task<string> StoredResultTextAsync(EngineTestHost host, string taskId)
    {
        string? meta = null;
        await Eventually.UntilAsync(async () => (meta = (string?)await host.Redis.StringGetAsync("celery-task-meta-" + taskId)) is not null, Wait, Token);
        using var document = JsonDocument.Parse(meta!);
        return document.RootElement.GetProperty("result").GetRawText();
    }

    [Fact]
    public async Task Xsum_StoresAFloat_WhenFloatsAddUpToAWholeNumber()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var floats = await host.Client.SendAsync(DiagnosticTasks.Xsum, [Json("[0.5, 0.5]")], cancellationToken: Token);
        var integers = await host.Client.SendAsync(DiagnosticTasks.Xsum, [Json("[1, 2]")], cancellationToken: Token);
        await floats.GetAsync(Wait, Token);
        await integers.GetAsync(Wait, Token);

        Assert.Equal("1.0", await StoredResultTextAsync(host, floats.Id));
        Assert.Equal("3", await StoredResultTextAsync(host, integers.Id));
    }

    [Fact]
    public async Task Sleep_ReturnsItsFloatArgument_WhenItIsAWholeNumber()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var result = await host.Client.SendAsync(DiagnosticTasks.Sleep, [Json("1.0")], cancellationToken: Token);
        await result.GetAsync(Wait, Token);

        Assert.Equal("1.0", await StoredResultTextAsync(host, result.Id));
    }

    [Fact]
    public async Task ChordOfXsums_StoresAFloatSum_WhenEveryPartIsAWholeFloat()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        Signature Part() => Signature.Create(DiagnosticTasks.Xsum, Json("[12.5, 12.5]"));
        var chord = Chord.Of([Part(), Part(), Part()], Signature.Create(DiagnosticTasks.Xsum));

        var result = await host.Services.GetRequiredService<IWorkflowClient>().ApplyAsync(chord, Token);
        await result.GetAsync(Wait, Token);

        Assert.Equal("75.0", await StoredResultTextAsync(host, result.Id));
        var header = Assert.IsType<GroupResult>(result.Parent);
        foreach (var part in header.Children)
        {
            Assert.Equal("25.0", await StoredResultTextAsync(host, part.Id));
        }
    }

    [Fact]
    public async Task Add_FailsWithPythonTypeError_WhenArgumentsCannotBeAdded()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var mixed = await host.Client.SendAsync(DiagnosticTasks.Add, [Json("\"a\""), Json("{}")], cancellationToken: Token);
        var numberAndList = await host.Client.SendAsync(DiagnosticTasks.Add, [Json("1"), Json("[2]")], cancellationToken: Token);
        var strings = await host.Client.SendAsync(DiagnosticTasks.Add, [Json("\"a\""), Json("\"b\"")], cancellationToken: Token);

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => mixed.GetAsync(Wait, Token));
        Assert.Equal("TypeError", ex.ExcType);
        Assert.Equal("builtins", ex.ExcModule);
        Assert.Equal("can only concatenate str (not \"dict\") to str", ex.ExcMessage);
        var other = await Assert.ThrowsAsync<TaskFailedException>(() => numberAndList.GetAsync(Wait, Token));
        Assert.Equal("TypeError", other.ExcType);
        Assert.Equal("unsupported operand type(s) for +: 'int' and 'list'", other.ExcMessage);
        Assert.Equal("ab", (await strings.GetAsync(Wait, Token)).GetString());
    }

    [Fact]
    public async Task Sleep_FailsWithPythonTypeError_WhenTheArgumentIsNotANumber()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var result = await host.Client.SendAsync(DiagnosticTasks.Sleep, [Json("{}")], cancellationToken: Token);

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
        Assert.Equal("TypeError", ex.ExcType);
        Assert.Equal("builtins", ex.ExcModule);
        Assert.Equal("SleepArgs argument 'seconds' must be Double, not the JSON object {}.", ex.ExcMessage);
    }

    [Fact]
    public async Task Worker_RunsTheTaskUnderItsCorrelationId_WhenTheIdHeaderIsMissing()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        var id = Guid.CreateVersion7().ToString();

        await PublishAsync(host, id, new Dictionary<string, object?> { ["task"] = DiagnosticTasks.Add, ["lang"] = "py" }, "[[20, 22], {}, {}]");

        var value = await host.Client.GetResult(id).GetAsync(Wait, Token);
        Assert.Equal(42, value.GetInt32());
    }

    [Fact]
    public async Task Worker_StoresFailureUnderTheCorrelationId_WhenTheMessageHasNoHeaders()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        var id = Guid.CreateVersion7().ToString();

        await PublishAsync(host, id, null, "[[1, 2], {}, {}]");

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => host.Client.GetResult(id).GetAsync(Wait, Token));
        Assert.Equal("InvalidTaskError", ex.ExcType);
        await Eventually.UntilAsync(async () => await host.MessageCountAsync(host.DeadLetterQueue) == 1, Wait, Token);
    }

    private static async Task PublishAsync(EngineTestHost host, string correlationId, Dictionary<string, object?>? headers, string body)
    {
        await using var channel = await host.Connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), Token);
        var properties = new BasicProperties
        {
            ContentType = "application/json",
            ContentEncoding = "utf-8",
            CorrelationId = correlationId,
            DeliveryMode = DeliveryModes.Persistent,
            Headers = headers,
        };
        await channel.BasicPublishAsync(string.Empty, host.Queue, mandatory: true, properties, System.Text.Encoding.UTF8.GetBytes(body), Token);
    }
}
