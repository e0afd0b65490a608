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

    /// <summary>Registers the built-in canvas tasks (AddTaskWorker does this).</summary>
    public static ITaskEngineBuilder AddWorkflowTasks(this ITaskEngineBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder
            .AddTask<MapArgs, MapHandler>(Map)
            .AddTask<MapArgs, StarmapHandler>(Starmap)
            .AddTask<ChunksArgs, ChunksHandler>(Chunks);
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
