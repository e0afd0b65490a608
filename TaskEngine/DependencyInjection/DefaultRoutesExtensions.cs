using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>Lets the application declare its task routes; the engine itself knows no application's queues.</summary>
public static class DefaultRoutesExtensions
{
    /// <summary>
    /// Declares the application's routes (glob pattern → queue, tried in order): they apply when configuration
    /// (<c>TaskEngine:Routes</c>, or <c>AddTaskEngine</c>'s configure action) names none, so a deployment can still
    /// replace them all. Without routes every task goes to <see cref="TaskEngineOptions.DefaultQueue"/> unless sent
    /// to a queue explicitly or registered with one.
    /// </summary>
    public static ITaskEngineBuilder WithDefaultRoutes(this ITaskEngineBuilder builder, IEnumerable<(string Pattern, string Queue)> routes)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(routes);
        var declared = new List<TaskRoute>();
        foreach (var (pattern, queue) in routes)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(pattern, nameof(routes));
            ArgumentException.ThrowIfNullOrWhiteSpace(queue, nameof(routes));
            declared.Add(new TaskRoute { Pattern = pattern, Queue = queue });
        }

        builder.Services.PostConfigure<TaskEngineOptions>(options =>
        {
            if (options.Routes.Count == 0)
            {
                options.Routes.AddRange(declared);
            }
        });
        return builder;
    }
}
