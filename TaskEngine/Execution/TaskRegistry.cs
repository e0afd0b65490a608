using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.RateLimits;
using Onboarding.TaskEngine.Retry;

namespace Onboarding.TaskEngine.Execution;

/// <summary>One registered task: its name, options and how to bind and invoke its handler.</summary>
internal sealed class TaskRegistration
{
    public required string Name { get; init; }

    public required Type ArgsType { get; init; }

    public required TaskOptions Options { get; init; }

    public required Func<IServiceProvider, TaskContext, CancellationToken, ValueTask<object?>> Invoke { get; init; }

    public RateLimit? RateLimit { get; init; }

    /// <summary>The task's retry options as one policy (<c>MaxRetries</c>, <c>RetryOn</c>, backoff, jitter).</summary>
    public required RetryPolicy Retry { get; init; }

    public static TaskRegistration Create<TArgs, THandler>(string name, TaskOptions options)
        where THandler : class, ITaskHandler<TArgs> => new()
    {
        Name = name,
        ArgsType = typeof(TArgs),
        Options = options,
        RateLimit = options.RateLimit is null ? null : RateLimits.RateLimit.Parse(options.RateLimit),
        Retry = new RetryPolicy(options.MaxRetries, options.RetryBackoff, options.RetryBackoffMax, options.RetryJitter, [.. options.RetryOn]),
        Invoke = static (services, context, cancellationToken) =>
        {
            var args = ArgumentBinder<TArgs>.Bind(context.Message.Args, context.Message.Kwargs);
            var handler = services.GetRequiredService<THandler>();
            return handler.HandleAsync(args, context, cancellationToken);
        },
    };
}

/// <summary>The name → registration map (no Type.GetType on the wire).</summary>
internal sealed class TaskRegistry
{
    private readonly Dictionary<string, TaskRegistration> _tasks = new(StringComparer.Ordinal);

    public void Add(TaskRegistration registration)
    {
        if (!_tasks.TryAdd(registration.Name, registration))
        {
            throw new InvalidOperationException($"Task '{registration.Name}' is registered twice.");
        }
    }

    public bool TryGet(string name, out TaskRegistration registration) =>
        _tasks.TryGetValue(name, out registration!);

    public IEnumerable<TaskRegistration> All => _tasks.Values;

    /// <summary>The options of a task known here, for sending; null for tasks only another process runs.</summary>
    public TaskOptions? OptionsFor(string name) => _tasks.TryGetValue(name, out var registration) ? registration.Options : null;

    internal static JsonElement ToElement<T>(T value) => JsonSerializer.SerializeToElement(value, Protocol.TaskJson.Options);
}
