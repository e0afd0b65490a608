using System.Text.Json;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Execution;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.TaskEngine.Workflows;

/// <summary>
/// The built-in tasks Celery's worker registers for canvases (celery/app/builtins.py), so map, starmap and chunks
/// built by Python (or by us) run on our workers: <c>celery.map</c> and <c>celery.starmap</c> call the task's handler
/// in this worker for each item (as Celery does, no messages); <c>celery.chunks</c> publishes a group of starmaps.
/// </summary>
public static class WorkflowTasks
{
    public const string Map = "celery.map";
    public const string Starmap = "celery.starmap";
    public const string Chunks = "celery.chunks";
    public const string ChordTask = "celery.chord";
    public const string GroupTask = "celery.group";
    public const string ChainTask = "celery.chain";

    /// <summary>Registers the built-in canvas tasks (AddTaskWorker does this).</summary>
    public static ITaskEngineBuilder AddWorkflowTasks(this ITaskEngineBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder
            .AddTask<MapArgs, MapHandler>(Map)
            .AddTask<MapArgs, StarmapHandler>(Starmap)
            .AddTask<ChunksArgs, ChunksHandler>(Chunks)
            .AddTask<NoArgs, ChordTaskHandler>(ChordTask)
            .AddTask<NoArgs, GroupTaskHandler>(GroupTask)
            .AddTask<NoArgs, ChainTaskHandler>(ChainTask, o => o.MaxRetries = 0);
    }

    /// <summary>Celery's <c>xmap(task, it)</c> / <c>xstarmap(task, it)</c> arguments.</summary>
    public sealed record MapArgs(JsonElement Task, JsonElement It);

    /// <summary>Celery's <c>chunks(task, it, n)</c> arguments.</summary>
    public sealed record ChunksArgs(JsonElement Task, JsonElement It, int N);

    internal sealed class MapHandler(TaskRegistry registry, IServiceProvider services) : ITaskHandler<MapArgs>
    {
        public ValueTask<object?> HandleAsync(MapArgs args, TaskContext context, CancellationToken cancellationToken) =>
            RunEachAsync(registry, services, args, context, star: false, cancellationToken);
    }

    internal sealed class StarmapHandler(TaskRegistry registry, IServiceProvider services) : ITaskHandler<MapArgs>
    {
        public ValueTask<object?> HandleAsync(MapArgs args, TaskContext context, CancellationToken cancellationToken) =>
            RunEachAsync(registry, services, args, context, star: true, cancellationToken);
    }

    internal sealed class ChunksHandler(IWorkflowCoordinator workflow) : ITaskHandler<ChunksArgs>
    {
        public async ValueTask<object?> HandleAsync(ChunksArgs args, TaskContext context, CancellationToken cancellationToken)
        {
            var chunks = new Canvas.Chunks(Signature.FromJson(args.Task), [.. args.It.EnumerateArray()], args.N);
            var result = await workflow.ApplyAsync(chunks.ToGroup(), PartialArgs.None, context.Message, cancellationToken).ConfigureAwait(false);
            return result?.Id;
        }
    }

    /// <summary>
    /// <c>celery.chord(header, body, partial_args=(), ...)</c>: applies the chord from this worker (header given as a
    /// list of signatures or a group signature). Returns the body's id.
    /// </summary>
    internal sealed class ChordTaskHandler(IWorkflowCoordinator workflow) : ITaskHandler<NoArgs>
    {
        public async ValueTask<object?> HandleAsync(NoArgs args, TaskContext context, CancellationToken cancellationToken)
        {
            var header = Argument(context, "header", 0) is { } h ? ReadGroup(h) : throw MissingArgument("header");
            var body = Argument(context, "body", 1) is { } b ? Signature.FromJson(b) : throw MissingArgument("body");
            var result = await workflow.ApplyAsync(Chord.Of(header, body), Partial(context, 2), context.Message, cancellationToken)
                .ConfigureAwait(false);
            return result?.Id;
        }
    }

    /// <summary><c>celery.group(tasks, result, group_id, partial_args)</c>: applies the group from this worker. Returns the group id.</summary>
    internal sealed class GroupTaskHandler(IWorkflowCoordinator workflow) : ITaskHandler<NoArgs>
    {
        public async ValueTask<object?> HandleAsync(NoArgs args, TaskContext context, CancellationToken cancellationToken)
        {
            var group = Argument(context, "tasks", 0) is { } t ? ReadGroup(t) : throw MissingArgument("tasks");
            if (Argument(context, "group_id", 2) is { ValueKind: JsonValueKind.String } groupId)
            {
                group = group with { Options = group.Options with { TaskId = groupId.GetString() } };
            }

            var result = await workflow.ApplyAsync(group, Partial(context, 3), context.Message, cancellationToken).ConfigureAwait(false);
            return result?.Id;
        }
    }

    /// <summary><c>celery.chain</c>: as in Celery, not a real task (a chain travels in <c>embed.chain</c>).</summary>
    internal sealed class ChainTaskHandler : ITaskHandler<NoArgs>
    {
        public ValueTask<object?> HandleAsync(NoArgs args, TaskContext context, CancellationToken cancellationToken) =>
            throw new TaskException(ExceptionInfo.Create("NotImplementedError", "builtins", "chain is not a real task"));
    }

    private static JsonElement? Argument(TaskContext context, string name, int position) =>
        context.Message.Kwargs.TryGetValue(name, out var value) ? value
        : context.Message.Args.Count > position ? context.Message.Args[position]
        : null;

    private static PartialArgs Partial(TaskContext context, int position) =>
        Argument(context, "partial_args", position) is { ValueKind: JsonValueKind.Array } partial
            ? new PartialArgs([.. partial.EnumerateArray()], new Dictionary<string, JsonElement>())
            : PartialArgs.None;

    private static Group ReadGroup(JsonElement value) => value.ValueKind == JsonValueKind.Array
        ? new Group([.. value.EnumerateArray().Select(Signature.FromJson)])
        : Signature.FromJson(value) as Group ?? new Group([Signature.FromJson(value)]);

    private static TaskArgumentException MissingArgument(string name) => new($"Missing required argument '{name}'.");

    private static async ValueTask<object?> RunEachAsync(
        TaskRegistry registry, IServiceProvider services, MapArgs args, TaskContext context, bool star, CancellationToken cancellationToken)
    {
        var callee = Signature.FromJson(args.Task);
        if (!registry.TryGet(callee.Task, out var registration))
        {
            throw new TaskException(ExceptionInfo.Create("NotRegistered", "celery.exceptions", callee.Task));
        }

        var results = new List<JsonElement>();
        foreach (var item in args.It.EnumerateArray())
        {
            IReadOnlyList<JsonElement> itemArgs = star && item.ValueKind == JsonValueKind.Array ? [.. item.EnumerateArray()] : [item];
            var message = context.Message with
            {
                Name = callee.Task,
                Args = itemArgs,
                Kwargs = new Dictionary<string, JsonElement>(),
                Callbacks = null,
                Errbacks = null,
                Chain = null,
                Chord = null,
            };
            var value = await registration.Invoke(services, new TaskContext(message, context.Queue, context.Redelivered), cancellationToken)
                .ConfigureAwait(false);
            results.Add(WorkflowCoordinator.ToElement(value));
        }

        return results;
    }
}
